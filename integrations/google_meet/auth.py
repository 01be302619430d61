"""Google Meet credentials: a service account with domain-wide delegation acting as
``CS_AGENT_MEET_USER``, or an authorized-user token file (the installed-app flow), as for Gmail.

Scopes: ``meetings.space.readonly`` to read conference records, participants and transcripts
(and to create the Workspace Events subscription to them), and ``calendar.events.readonly``
to find the calendar event of a conference, whose attendees give participants' emails.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cs_agent.config import ConfigurationError

MEET_READONLY = "https://www.googleapis.com/auth/meetings.space.readonly"
CALENDAR_EVENTS_READONLY = "https://www.googleapis.com/auth/calendar.events.readonly"
SCOPES: tuple[str, ...] = (MEET_READONLY, CALENDAR_EVENTS_READONLY)
SETTING = "CS_AGENT_MEET_CREDENTIALS"


@dataclass(frozen=True)
class MeetIdentity:
    """Loaded credentials, and what error messages need to say about them."""

    credentials: Any
    kind: str
    path: Path
    user: str | None
    client_id: str | None = None

    def fix(self) -> str:
        """What a person does when Google refuses these credentials."""
        scopes = ", ".join(SCOPES)
        if self.kind == "service_account":
            return (
                f"authorise client ID {self.client_id} for {scopes} in the Google Admin console "
                f"(domain-wide delegation), and check {SETTING} and CS_AGENT_MEET_USER"
            )
        return f"consent again to {scopes} and point {SETTING} at the new token file"


def load_meet_credentials(path: Path, *, user: str | None, token_url: str | None) -> MeetIdentity:
    """Read a service-account key or a token file for the Meet API. Raises ``ConfigurationError``
    naming ``CS_AGENT_MEET_CREDENTIALS`` and what is wrong."""
    where = f"{SETTING}={path}"
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigurationError(f"{where}: no such file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ConfigurationError(f"{where}: cannot read it as JSON ({error})") from None
    if not isinstance(info, dict):
        raise ConfigurationError(f"{where}: expected a JSON object")
    kind = info.get("type")
    try:
        if kind == "service_account":
            if not user:
                raise ConfigurationError(
                    f"{where} is a service account: set CS_AGENT_MEET_USER to the Workspace user "
                    "whose meetings it reads"
                )
            from google.oauth2 import service_account

            credentials: Any = service_account.Credentials.from_service_account_info(  # type: ignore[no-untyped-call]
                info, scopes=list(SCOPES), subject=user
            )
        elif kind == "authorized_user":
            granted = info.get("scopes")
            if isinstance(granted, str):
                granted = granted.split()
            if granted is not None and MEET_READONLY not in granted:
                raise ConfigurationError(
                    f"{where}: the token was not granted {MEET_READONLY}; consent again"
                )
            from google.oauth2.credentials import Credentials

            credentials = Credentials.from_authorized_user_info(info)  # type: ignore[no-untyped-call]
        else:
            raise ConfigurationError(
                f'{where}: its "type" is {kind!r}; expected "service_account" or "authorized_user"'
            )
    except ConfigurationError:
        raise
    except (ValueError, KeyError) as error:
        raise ConfigurationError(f"{where}: {kind} credentials are incomplete: {error}") from None
    if token_url:
        credentials = credentials.with_token_uri(token_url)
    return MeetIdentity(
        credentials=credentials,
        kind=str(kind),
        path=path,
        user=user,
        client_id=str(info.get("client_id") or "") or None,
    )
