"""Signing in and out of the inbox: a name and password, or the admin token."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from cs_agent.config import Settings
from cs_agent.web.auth import (
    SignInRefused,
    check_admin_token,
    check_password,
    client_key,
    current_person,
    end_session,
    start_session,
)
from cs_agent.web.deps import FormDep, SettingsDep, safe_next
from cs_agent.web.render import path_for, render

router = APIRouter()


def _page(
    request: Request,
    settings: Settings,
    *,
    next_path: str,
    name: str = "",
    error: str | None = None,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    return render(
        request,
        "signin.html",
        person=None,
        status_code=status_code,
        headers=headers,
        next=next_path,
        name=name,
        error=error,
        users_configured=bool(settings.web_users),
        token_configured=settings.web_admin_token is not None,
    )


@router.get("/signin", name="signin")
async def signin_page(request: Request, settings: SettingsDep, next: str = "") -> Response:
    """The sign-in form (or straight on, when already signed in or on loopback)."""
    home = path_for(request, "calls")
    if current_person(request, settings) is not None:
        return RedirectResponse(safe_next(next, home), status_code=303)
    return _page(request, settings, next_path=safe_next(next, home))


@router.post("/signin", name="signin_submit")
async def signin(request: Request, form: FormDep, settings: SettingsDep) -> Response:
    """Check the credential; on success start a fresh session and go where the person was going."""
    home = path_for(request, "calls")
    target = safe_next(str(form.get("next") or ""), home)
    limiter = request.app.state.limiter
    client = client_key(request)
    wait = limiter.retry_after(client)
    if wait:
        return _page(
            request,
            settings,
            next_path=target,
            name=str(form.get("name") or ""),
            error=f"Too many failed attempts. Try again in {wait} seconds.",
            status_code=429,
            headers={"Retry-After": str(wait)},
        )
    name = str(form.get("name") or "").strip()
    try:
        if form.get("method") == "token":
            person = check_admin_token(settings, str(form.get("token") or ""))
        else:
            person = await check_password(settings, name, str(form.get("password") or ""))
    except SignInRefused as refused:
        limiter.failed(client)
        return _page(
            request,
            settings,
            next_path=target,
            name=name,
            error=f"Not signed in: {refused}.",
            status_code=401,
        )
    limiter.succeeded(client)
    start_session(request, settings, person)
    return RedirectResponse(target, status_code=303)


@router.post("/signout", name="signout")
async def signout(request: Request, _form: FormDep) -> Response:
    """End the session."""
    end_session(request)
    return RedirectResponse(path_for(request, "signin"), status_code=303)
