"""Rendering pages: the Jinja2 environment, what every page gets, and flash messages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse

import cs_agent
from cs_agent.config import Settings
from cs_agent.core.domain import OFFLINE_ANALYZER, format_timestamp
from cs_agent.web.auth import Person, csrf_token
from cs_agent.web.present import CALL_STATUS_LABELS, DRAFT_STATUS_LABELS

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"


def make_environment() -> jinja2.Environment:
    """The template environment: autoescaping on, undefined names are errors."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["url"] = _url
    env.globals["call_status_label"] = lambda s: CALL_STATUS_LABELS.get(s, s)
    env.globals["draft_status_label"] = lambda s: DRAFT_STATUS_LABELS.get(s, s or "—")
    env.globals["offline_analyzer"] = OFFLINE_ANALYZER
    env.globals["version"] = cs_agent.__version__
    env.filters["stamp"] = format_timestamp
    env.filters["utc"] = _utc
    env.filters["money"] = _money
    return env


def path_for(
    request: Request, name: str, /, query: dict[str, Any] | None = None, **params: Any
) -> str:
    """The path of one of the inbox's named routes, under its mount prefix, plus a query string.

    Paths, not absolute URLs: links keep working behind a proxy that terminates TLS.
    """
    path = request.scope.get("root_path", "") + str(request.app.url_path_for(name, **params))
    clean = {k: v for k, v in (query or {}).items() if v not in (None, "")}
    return f"{path}?{urlencode(clean)}" if clean else path


@jinja2.pass_context
def _url(context: Any, name: str, /, query: dict[str, Any] | None = None, **params: Any) -> str:
    return path_for(context["request"], name, query, **params)


def _utc(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC)
    return value.strftime("%Y-%m-%d %H:%M UTC")


def _money(value: float | None) -> str:
    return f"${value:.4f}" if value else "—"


def flash(request: Request, kind: str, text: str) -> None:
    """A message for the next page this person sees (after a redirect)."""
    messages = list(request.session.get("flash", []))
    messages.append({"kind": kind, "text": text})
    request.session["flash"] = messages[-5:]


def render(
    request: Request,
    template: str,
    *,
    person: Person | None,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """A page, with what every page needs: who is signed in, the CSRF token, the banner."""
    settings: Settings = request.app.state.settings
    env: jinja2.Environment = request.app.state.templates
    messages = request.session.pop("flash", []) if "flash" in request.session else []
    html = env.get_template(template).render(
        request=request,
        person=person,
        csrf_token=csrf_token(request),
        loopback_only=not settings.web_sign_in_configured,
        messages=messages,
        **context,
    )
    return HTMLResponse(html, status_code=status_code, headers=headers)
