"""What the inbox's routes share: the runtime, the person asking, and CSRF-checked forms."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, HTTPException, Request
from starlette.datastructures import FormData

from cs_agent.bootstrap.runtime import Runtime
from cs_agent.config import Settings
from cs_agent.web.auth import Person, csrf_ok, current_person
from cs_agent.web.render import path_for

# Room for a transcript at the size limit, plus the other fields of the form.
_FORM_SLACK_BYTES = 64 * 1024


class NeedsSignIn(Exception):
    """The request needs a signed-in person; they are sent to sign in, then back to ``next``."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def get_runtime(request: Request) -> Runtime:
    """The runtime the inbox was created with."""
    runtime: Runtime = request.app.state.runtime
    return runtime


def get_settings(request: Request) -> Settings:
    """The settings the inbox was created with (sign-in, roles, limits)."""
    settings: Settings = request.app.state.settings
    return settings


def get_person(request: Request) -> Person:
    """The signed-in person (or the local user on loopback); otherwise off to sign in."""
    person = current_person(request, get_settings(request))
    if person is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise NeedsSignIn(target if request.method == "GET" else path_for(request, "calls"))
    return person


def get_approver(person: Annotated[Person, Depends(get_person)]) -> Person:
    """The signed-in person, who must be an approver."""
    if not person.approver:
        raise HTTPException(
            status_code=403,
            detail="You can view calls but not decide on drafts or upload: ask an admin to "
            "add you to CS_AGENT_WEB_APPROVERS.",
        )
    return person


async def get_checked_form(request: Request) -> FormData:
    """The submitted form, after its CSRF token was checked against the session's."""
    settings = get_settings(request)
    form = await request.form(
        max_files=1, max_fields=32, max_part_size=settings.max_transcript_bytes + _FORM_SLACK_BYTES
    )
    if not csrf_ok(request, form.get("csrf_token")):
        raise HTTPException(
            status_code=403,
            detail="This form expired or did not come from this inbox. Reload the page and try again.",
        )
    return form


def safe_next(value: str | None, default: str) -> str:
    """``value`` if it is a path on this server, else ``default`` (no open redirects)."""
    if not value:
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not value.startswith("/") or value.startswith("//"):
        return default
    if "\\" in value:
        return default
    return value


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
PersonDep = Annotated[Person, Depends(get_person)]
ApproverDep = Annotated[Person, Depends(get_approver)]
FormDep = Annotated[FormData, Depends(get_checked_form)]
