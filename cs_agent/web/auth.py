"""Who is asking: sign-in checks, the person behind a session, CSRF tokens, the loopback rule.

Sessions are kept on the server (the ``web_sessions`` table). The signed cookie (Starlette's
``SessionMiddleware``) carries only a random session id, the CSRF token and flash messages; the
table stores the id's SHA-256, who signed in and how, a keyed digest of the credential they used,
and when the session ends. Signing out revokes the row, so a copied cookie stops working at
once; a changed password (or admin token) no longer matches the digest, which revokes every
session made with the old one. Roles are read from the settings on every request.

Without any credential configured the inbox has no sign-in: it answers only requests that
come straight from this machine, addressed to a loopback name (see ``cs_agent.web.locality``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import os
import secrets
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from sqlalchemy.engine import Engine
from starlette.requests import Request

from cs_agent.config import Settings
from cs_agent.core.passwords import dummy_hash, verify_password
from cs_agent.web.locality import is_local_request
from storage import repo
from storage.db import session_scope
from storage.models import utcnow

ADMIN_NAME = "admin"
SECRET_FILE = "web-session-secret"  # noqa: S105 - a file name, not a secret

Via = Literal["password", "token", "loopback"]


@dataclass(frozen=True)
class Person:
    """Someone using the inbox, and whether they may decide on drafts."""

    name: str
    approver: bool
    via: Via

    @property
    def actor(self) -> str:
        """How their decisions are recorded in the audit log."""
        return f"web:{self.name}"


class SignInRefused(Exception):
    """The name and password (or token) do not match."""


class LoopbackOnly(Exception):
    """No credential is configured and the request did not come from this machine."""


# --- signing in ---------------------------------------------------------------------------------


async def check_password(settings: Settings, name: str, password: str) -> Person:
    """The person ``name`` if ``password`` is theirs; raises ``SignInRefused`` otherwise."""
    stored = settings.web_users.get(name)
    # scrypt runs in a thread: it takes tens of milliseconds and must not stall the loop.
    matches = await asyncio.to_thread(verify_password, password, stored or dummy_hash())
    if stored is None or not matches:
        raise SignInRefused("that name and password do not match")
    return Person(name=name, approver=is_approver(settings, name), via="password")


def check_admin_token(settings: Settings, token: str) -> Person:
    """The admin if ``token`` is the configured admin token; raises ``SignInRefused`` otherwise."""
    configured = settings.web_admin_token
    if configured is None or not hmac.compare_digest(
        token.encode(), configured.get_secret_value().encode()
    ):
        raise SignInRefused("that admin token is not right")
    return Person(name=ADMIN_NAME, approver=True, via="token")


def is_approver(settings: Settings, name: str) -> bool:
    """Web users decide unless an approver list names others only."""
    return not settings.web_approvers or name in settings.web_approvers


def start_session(request: Request, settings: Settings, person: Person) -> None:
    """Start a server-side session for ``person``: a fresh random id (and CSRF token) in the cookie.

    Sessions ``person`` made with an earlier credential are revoked on the way.
    """
    credential = _credential_digest(request, settings, person.name, person.via)
    assert credential is not None  # they just signed in with it
    session_id = secrets.token_urlsafe(32)
    expires_at = utcnow() + dt.timedelta(hours=settings.web_session_hours)
    with session_scope(_engine(request)) as db:
        repo.revoke_stale_web_sessions(db, user=person.name, via=person.via, credential=credential)
        repo.add_web_session(
            db,
            id_hash=_id_hash(session_id),
            user=person.name,
            via=person.via,
            credential=credential,
            expires_at=expires_at,
        )
    request.session.clear()
    request.session.update({"sid": session_id, "csrf": secrets.token_urlsafe(32)})


def end_session(request: Request) -> None:
    """Sign out: revoke the session on the server, and forget the cookie's contents."""
    session_id = request.session.get("sid")
    if isinstance(session_id, str):
        with session_scope(_engine(request)) as db:
            repo.revoke_web_session(db, id_hash=_id_hash(session_id))
    request.session.clear()


def current_person(request: Request, settings: Settings) -> Person | None:
    """The person using this request, or None when they must sign in first.

    Raises ``LoopbackOnly`` when no credential is configured and the request is not local.
    """
    if not settings.web_sign_in_configured:
        if not is_local_request(request):
            raise LoopbackOnly()
        return Person(name="local", approver=True, via="loopback")
    session_id = request.session.get("sid")
    if not isinstance(session_id, str) or not session_id:
        return None
    id_hash = _id_hash(session_id)
    with session_scope(_engine(request)) as db:
        row = repo.get_web_session(db, id_hash=id_hash)
        if row is None or row.via not in ("password", "token"):
            return None
        credential = _credential_digest(request, settings, row.user, row.via)
        if credential is None or not hmac.compare_digest(credential, row.credential):
            # The user was removed or their credential changed: this session is over for good.
            repo.revoke_web_session(db, id_hash=id_hash)
            return None
        name, via = row.user, row.via
    if via == "token":
        return Person(name=ADMIN_NAME, approver=True, via="token")
    return Person(name=name, approver=is_approver(settings, name), via="password")


def _id_hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8", "surrogateescape")).hexdigest()


def _engine(request: Request) -> Engine:
    engine: Engine = request.app.state.runtime.engine
    return engine


def _credential_digest(request: Request, settings: Settings, name: str, via: str) -> str | None:
    """A digest of the credential behind a session, keyed with the session secret.

    It changes when the credential does. It is kept on the server only, and keyed, so neither
    a cookie nor the database offers anything to guess the admin token from.
    """
    if via == "token":
        token = settings.web_admin_token
        material = token.get_secret_value() if token else None
    else:
        material = settings.web_users.get(name)
    if material is None:
        return None
    key: str = request.app.state.session_key
    return hmac.new(key.encode(), f"{via}:{name}:{material}".encode(), hashlib.sha256).hexdigest()


# --- CSRF ---------------------------------------------------------------------------------------


def csrf_token(request: Request) -> str:
    """This session's CSRF token (made on first use): every form carries it."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def csrf_ok(request: Request, submitted: object) -> bool:
    """True when a form's token matches the session's."""
    expected = request.session.get("csrf")
    return (
        isinstance(expected, str)
        and isinstance(submitted, str)
        and hmac.compare_digest(expected.encode(), submitted.encode())
    )


# --- throttling sign-in attempts ----------------------------------------------------------------


class SignInLimiter:
    """At most ``max_failures`` failed sign-ins per client address within ``window`` seconds.

    Kept in memory: a process restart forgets it, which is fine for slowing down guessing.
    """

    def __init__(self, *, max_failures: int = 5, window: float = 60.0, max_clients: int = 10_000):
        self.max_failures = max_failures
        self.window = window
        self.max_clients = max_clients
        self._failures: dict[str, deque[float]] = {}

    def retry_after(self, client: str, *, now: float | None = None) -> int:
        """Seconds until ``client`` may try again; 0 when they may try now."""
        now = time.monotonic() if now is None else now
        failures = self._recent(client, now)
        if len(failures) < self.max_failures:
            return 0
        return max(1, int(failures[0] + self.window - now + 0.999))

    def failed(self, client: str, *, now: float | None = None) -> None:
        """Count a failed attempt."""
        now = time.monotonic() if now is None else now
        if client not in self._failures and len(self._failures) >= self.max_clients:
            self._forget_stale(now)
        self._failures.setdefault(client, deque()).append(now)

    def succeeded(self, client: str) -> None:
        """A successful sign-in clears the client's failures."""
        self._failures.pop(client, None)

    def _recent(self, client: str, now: float) -> deque[float]:
        failures = self._failures.get(client, deque())
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        if not failures:
            self._failures.pop(client, None)
        return failures

    def _forget_stale(self, now: float) -> None:
        for client in list(self._failures):
            self._recent(client, now)
        if len(self._failures) >= self.max_clients:  # still full: drop the oldest entries
            for client in list(self._failures)[: self.max_clients // 10]:
                del self._failures[client]


def client_key(request: Request) -> str:
    """The address sign-in attempts are counted against."""
    return request.client.host if request.client else "unknown"


# --- the session secret -------------------------------------------------------------------------


def session_secret(settings: Settings) -> str:
    """The key that signs session cookies: the setting, else one generated into the data directory.

    The generated key is created once (exclusive create, mode 0600), so every process sharing
    the data directory signs with the same key and sessions survive restarts.
    """
    if settings.web_session_secret is not None:
        return settings.web_session_secret.get_secret_value()
    path = settings.data_dir / SECRET_FILE
    existing = _read_secret(path)
    if existing:
        return existing
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        # Another process created it between our read and our create: use theirs.
        for _ in range(50):
            existing = _read_secret(path)
            if existing:
                return existing
            time.sleep(0.02)
        raise RuntimeError(
            f"{path} exists but is empty; delete it or set CS_AGENT_WEB_SESSION_SECRET"
        ) from None
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        secret = secrets.token_hex(32)
        handle.write(secret + "\n")
    return secret


def _read_secret(path: Path) -> str | None:
    try:
        return path.read_text(encoding="ascii").strip() or None
    except FileNotFoundError:
        return None


def session_cookie_options(settings: Settings) -> dict[str, Any]:
    """How the session cookie is set: Secure when the inbox is served over HTTPS."""
    return {
        "session_cookie": "cs_agent_inbox",
        "max_age": settings.web_session_hours * 3600,
        "same_site": "lax",
        "https_only": settings.public_url.startswith("https://"),
    }
