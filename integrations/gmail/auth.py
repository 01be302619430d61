"""Gmail credentials: the two kinds cs-agent accepts, the scopes it asks for, the OAuth flow.

- A **service account with domain-wide delegation** (a key file whose ``type`` is
  ``service_account``): a Workspace admin authorises its client ID for our scopes, and it
  acts as ``CS_AGENT_GMAIL_SENDER``.
- An **authorized-user token file** (``type`` ``authorized_user``), written by
  ``cs-agent auth gmail CLIENT_SECRET.json`` after one person consents in a browser.

Scopes: ``gmail.send`` to send, and ``gmail.readonly`` for the look-ups that make sending
exactly-once and threaded (``rfc822msgid:`` search, the thread's last Message-ID). Nothing
broader: cs-agent never modifies or deletes mail.
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from cs_agent.config import ConfigurationError

GMAIL_SEND = "https://www.googleapis.com/auth/gmail.send"
GMAIL_READONLY = "https://www.googleapis.com/auth/gmail.readonly"
SCOPES: tuple[str, ...] = (GMAIL_SEND, GMAIL_READONLY)
GMAIL_COMPOSE = "https://www.googleapis.com/auth/gmail.compose"
"""Also asked for when a follow-up policy places drafts in the sender's mailbox."""
DRAFT_SCOPES: tuple[str, ...] = (*SCOPES, GMAIL_COMPOSE)
ADMIN_CONSOLE_PATH = (
    "Google Admin console → Security → Access and data control → API controls → "
    "Manage domain-wide delegation"
)


@dataclass(frozen=True)
class GmailIdentity:
    """Loaded credentials plus what error messages need to say about them."""

    credentials: Any
    """A ``google.auth.credentials.Credentials``."""
    kind: Literal["service_account", "authorized_user"]
    path: Path
    sender: str
    client_id: str | None = None
    service_account_email: str | None = None
    account: str | None = None
    """For a token file: the Google account that consented, when the file records it."""
    scopes: tuple[str, ...] = SCOPES
    """The scopes these credentials are used with."""

    def describe(self) -> str:
        """Which credentials these are, in a person's words (no secrets)."""
        if self.kind == "service_account":
            return (
                f"service account {self.service_account_email} "
                f"(client ID {self.client_id}) acting as {self.sender}, key {self.path}"
            )
        return f"OAuth token file {self.path} of {self.account or 'an unnamed account'}"

    def fix(self) -> str:
        """What a person does when Google refuses these credentials."""
        scopes = ", ".join(self.scopes)
        if self.kind == "service_account":
            return (
                f"In the {ADMIN_CONSOLE_PATH}, authorise client ID {self.client_id} for the "
                f"scopes {scopes}, and check that {self.sender} is a user of your Workspace "
                "domain with Gmail turned on."
            )
        return (
            f"Run `cs-agent auth gmail CLIENT_SECRET.json --force` and consent as {self.sender} "
            f"to the scopes {scopes}."
        )


def load_credentials(
    path: Path,
    *,
    sender: str,
    token_url: str | None = None,
    scopes: tuple[str, ...] = SCOPES,
) -> GmailIdentity:
    """Read a service-account key or an authorized-user token file for sending as ``sender``.

    ``token_url`` replaces Google's token endpoint (a proxy, or a test's emulator); by default a
    key file's ``token_uri`` is used, and Google's own endpoint for a token file (google-auth
    ignores a token file's ``token_uri`` on purpose, so a file cannot redirect its secrets).
    Raises ``ConfigurationError`` naming ``CS_AGENT_GMAIL_CREDENTIALS`` and what is wrong.
    """
    where = f"CS_AGENT_GMAIL_CREDENTIALS={path}"
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigurationError(
            f"{where}: no such file. Point it at a service-account key or at the token "
            "file `cs-agent auth gmail` wrote."
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigurationError(f"{where}: cannot read it ({error})") from None
    except json.JSONDecodeError as error:
        raise ConfigurationError(f"{where}: not JSON (line {error.lineno}: {error.msg})") from None
    if not isinstance(info, dict):
        raise ConfigurationError(f"{where}: expected a JSON object")
    kind = info.get("type")
    try:
        if kind == "service_account":
            identity = _service_account(path, info, sender, scopes)
        elif kind == "authorized_user":
            identity = _authorized_user(path, info, sender, scopes)
        else:
            identity = None
    except (ValueError, KeyError) as error:
        raise ConfigurationError(f"{where}: {kind} credentials are incomplete: {error}") from None
    if identity is not None:
        if token_url:
            credentials = identity.credentials.with_token_uri(token_url)
            return dataclasses.replace(identity, credentials=credentials)
        return identity
    raise ConfigurationError(
        f'{where}: its "type" is {kind!r}; expected "service_account" (a key with '
        'domain-wide delegation) or "authorized_user" (written by `cs-agent auth gmail`). '
        'An OAuth client secret ("installed") is the input of `cs-agent auth gmail`, not '
        "this setting."
    )


def _service_account(
    path: Path, info: dict[str, Any], sender: str, scopes: tuple[str, ...]
) -> GmailIdentity:
    from google.oauth2 import service_account

    credentials = service_account.Credentials.from_service_account_info(  # type: ignore[no-untyped-call]
        info, scopes=list(scopes), subject=sender
    )
    return GmailIdentity(
        credentials=credentials,
        kind="service_account",
        path=path,
        sender=sender,
        client_id=str(info.get("client_id") or "") or None,
        service_account_email=str(info.get("client_email")),
        scopes=scopes,
    )


def _authorized_user(
    path: Path, info: dict[str, Any], sender: str, scopes: tuple[str, ...]
) -> GmailIdentity:
    from google.oauth2.credentials import Credentials

    granted = info.get("scopes")
    if isinstance(granted, str):
        granted = granted.split()
    if granted is not None:
        missing = [scope for scope in scopes if scope not in granted]
        if missing:
            raise ConfigurationError(
                f"CS_AGENT_GMAIL_CREDENTIALS={path}: the token was granted "
                f"{', '.join(granted) or 'no scopes'} but cs-agent needs {', '.join(missing)}. "
                "Run `cs-agent auth gmail CLIENT_SECRET.json --force` to consent again."
            )
    credentials = Credentials.from_authorized_user_info(info)  # type: ignore[no-untyped-call]
    return GmailIdentity(
        credentials=credentials,
        kind="authorized_user",
        path=path,
        sender=sender,
        client_id=str(info.get("client_id") or "") or None,
        account=str(info.get("account") or "") or None,
        scopes=scopes,
    )


def run_installed_app_flow(
    client_secret: Path,
    *,
    port: int = 0,
    open_browser: bool = True,
    timeout_seconds: float = 300,
    scopes: tuple[str, ...] = SCOPES,
) -> Any:
    """Ask a person's consent in the browser (installed-app flow) and return the credentials.

    Prints the sign-in URL (and opens it when ``open_browser``); a local web server on
    ``localhost:port`` (any free port by default) receives Google's redirect.
    """
    from google_auth_oauthlib.flow import InstalledAppFlow

    try:
        flow = InstalledAppFlow.from_client_secrets_file(str(client_secret), scopes=list(scopes))
    except FileNotFoundError:
        raise ConfigurationError(f"{client_secret}: no such file") from None
    except (ValueError, KeyError, json.JSONDecodeError) as error:
        raise ConfigurationError(
            f"{client_secret}: not an OAuth client secret of the Desktop app kind ({error}). "
            "Download it from Google Cloud console → APIs & Services → Credentials."
        ) from None

    return flow.run_local_server(
        host="localhost",
        port=port,
        open_browser=open_browser,
        authorization_prompt_message="Open this address in a browser and sign in as the sender:\n{url}",
        success_message="cs-agent may now send follow-ups as you. You can close this tab.",
        timeout_seconds=timeout_seconds,
        access_type="offline",
        prompt="consent",
    )


def write_token_file(credentials: Any, path: Path, *, account: str, force: bool = False) -> None:
    """Save authorized-user credentials (readable by the owner only).

    Refuses to replace an existing file unless ``force``: it may be the token another
    process is sending with.
    """
    data = json.loads(credentials.to_json())
    data["type"] = "authorized_user"
    data["account"] = account
    path.parent.mkdir(parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if force else os.O_EXCL)
    try:
        fd = os.open(path, flags, 0o600)
    except FileExistsError:
        raise ConfigurationError(
            f"{path} already exists; pass --force to replace it, or --out to write elsewhere"
        ) from None
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2)
        handle.write("\n")
    os.chmod(path, 0o600)
