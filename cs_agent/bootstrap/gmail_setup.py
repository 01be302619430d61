"""Signing cs-agent in to Gmail as one person: consent in a browser, the account, the token file.

``cs-agent auth gmail`` runs these in order; a token file written here is what
``CS_AGENT_GMAIL_CREDENTIALS`` then points at.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cs_agent.config import ConfigurationError, Settings
from cs_agent.core.errors import ExternalError
from integrations.gmail.auth import (
    DRAFT_SCOPES,
    SCOPES,
    GmailIdentity,
    run_installed_app_flow,
    write_token_file,
)
from integrations.gmail.mailer import GmailMailer, build_gmail_service


class GmailSignInError(Exception):
    """Signing in did not complete, or Google would not say which account signed in."""


def sign_in(client_secret: Path, *, port: int, open_browser: bool, drafts: bool = False) -> Any:
    """Ask a person's consent in the browser and return their credentials.

    A missing or wrong client secret raises ``ConfigurationError``; a flow that does not
    complete (refused consent, a closed browser, a busy port) raises ``GmailSignInError``.
    ``drafts`` also asks for the compose scope (a ``gmail-draft`` follow-up policy).
    """
    try:
        return run_installed_app_flow(
            client_secret,
            port=port,
            open_browser=open_browser,
            scopes=DRAFT_SCOPES if drafts else SCOPES,
        )
    except ConfigurationError:
        raise
    except Exception as error:  # the flow raises oauthlib, wsgiref and socket errors alike
        raise GmailSignInError(
            f"Google sign-in did not complete: {type(error).__name__}: {error}"
        ) from None


async def account_address(settings: Settings, credentials: Any, token_path: Path) -> str:
    """The address of the Google account ``credentials`` act for (its Gmail profile)."""
    identity = GmailIdentity(
        credentials=credentials, kind="authorized_user", path=token_path, sender="this account"
    )
    service = build_gmail_service(
        credentials, api_url=settings.gmail_api_url, timeout=settings.gmail_timeout_seconds
    )
    try:
        return await GmailMailer(service, identity=identity).account_address()
    except ExternalError as error:
        raise GmailSignInError(
            f"signed in, but reading the Gmail profile failed: {error}"
        ) from None


def save_token(credentials: Any, path: Path, *, account: str, force: bool) -> None:
    """Write the token file, readable by its owner only; an existing one only with ``force``."""
    write_token_file(credentials, path, account=account, force=force)
