"""Fixtures for the web inbox: settings with and without sign-in, and a client that signs in."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from cs_agent.api.app import create_app
from cs_agent.bootstrap.runtime import Runtime
from cs_agent.config import Settings
from cs_agent.core import ids
from cs_agent.core.passwords import hash_password
from cs_agent.services import queues
from storage import repo
from storage.db import session_scope

from ..conftest import EXAMPLES

# Hashed once: scrypt is deliberately slow.
PASSWORDS = {"dana": "dana-approves-1", "sam": "sam-only-reads-2"}
HASHES = {name: hash_password(password) for name, password in PASSWORDS.items()}
ADMIN_TOKEN = "admin-token-0123456789abcdef"
LOCAL = ("127.0.0.1", 50123)
REMOTE = ("203.0.113.7", 50123)

ACME_META = {
    "title": "Acme Freight renewal call",
    "call_date": "2026-11-10",
    "customer_name": "Acme Freight",
    "customer_domain": "acmefreight.example",
    "attendees": "Priya Natarajan <priya.natarajan@acmefreight.example>\n"
    "Dana Reyes <dana.reyes@brightwave.example>",
}


def with_sign_in(settings: Settings, **overrides: Any) -> Settings:
    """``settings`` with two web users (dana approves, sam views) and an admin token."""
    values: dict[str, Any] = {
        "web_users": dict(HASHES),
        "web_approvers": ["dana"],
        "web_admin_token": ADMIN_TOKEN,
    }
    values.update(overrides)
    return Settings(_env_file=None, **{**settings.model_dump(), **values})  # type: ignore[call-arg]


_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(page: httpx.Response) -> str:
    """The CSRF token a page's forms carry."""
    match = _CSRF.search(page.text)
    assert match, f"no CSRF token on {page.request.url}"
    return match.group(1)


def text_of(page: httpx.Response) -> str:
    """A page's text with tags dropped and whitespace collapsed, for reading assertions."""
    body = re.sub(r"<script.*?</script>|<style.*?</style>", " ", page.text, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


@dataclass
class Inbox:
    """An HTTP client of the inbox that remembers its cookies, like a browser."""

    client: httpx.AsyncClient
    runtime: Runtime
    app: Any

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.client.get(path, **kwargs)

    async def post(
        self, path: str, data: dict[str, Any], *, csrf_from: str | None = "/inbox/", **kw: Any
    ) -> httpx.Response:
        """POST a form, with the CSRF token from the page at ``csrf_from`` (None: no token)."""
        if csrf_from is not None and "csrf_token" not in data:
            data = {**data, "csrf_token": csrf_of(await self.get(csrf_from))}
        return await self.client.post(path, data=data, **kw)

    async def sign_in(self, name: str, password: str | None = None) -> httpx.Response:
        data = {
            "method": "password",
            "name": name,
            "password": PASSWORDS[name] if password is None else password,
        }
        return await self.post("/inbox/signin", data, csrf_from="/inbox/signin")

    async def upload(self, transcript: str, **fields: str) -> httpx.Response:
        return await self.post(
            "/inbox/upload",
            {"transcript": transcript, **fields},
            csrf_from="/inbox/upload",
            files={"transcript_file": ("", b"")},
        )

    async def upload_example(self, name: str = "acme-renewal.vtt", **fields: str) -> str:
        """Upload an example transcript, wait for its analysis, return the call id."""
        response = await self.upload((EXAMPLES / name).read_text(), **{**ACME_META, **fields})
        assert response.status_code == 303, text_of(response)
        call_id = response.headers["location"].rsplit("/", 1)[1]
        await queues.wait_for(ids.process_call_workflow_id(call_id), timeout=60)
        return call_id

    async def address_draft(self, call_id: str, to: str = "priya@acmefreight.example") -> int:
        """Give the call's draft a recipient through the edit form; returns the new version."""
        draft = self.draft_of(call_id)
        response = await self.post(
            f"/inbox/drafts/{draft.id}/edit",
            {"version": str(draft.version), "subject": draft.subject, "body": draft.body, "to": to},
            csrf_from=f"/inbox/calls/{call_id}",
        )
        assert response.status_code == 303, text_of(response)
        return int(draft.version) + 1

    def draft_of(self, call_id: str) -> Any:
        with session_scope(self.runtime.engine) as session:
            draft = repo.get_draft_for_call(session, call_id=call_id)
        assert draft is not None
        return draft

    def audit_of(self, call_id: str) -> list[tuple[str, str]]:
        with session_scope(self.runtime.engine) as session:
            return [(e.actor, e.action) for e in repo.list_audit(session, call_id=call_id)]

    def outbox(self) -> list[Any]:
        return sorted(self.runtime.settings.outbox_dir.glob("*.eml"))


InboxFactory = Callable[..., AbstractAsyncContextManager[Inbox]]


@pytest.fixture
def make_inbox(runtime: Runtime) -> InboxFactory:
    """Open an inbox client: ``settings`` decide sign-in; ``client`` is the caller's address."""

    @asynccontextmanager
    async def open_inbox(
        settings: Settings | None = None,
        *,
        client: tuple[str, int] = LOCAL,
        host: str = "127.0.0.1:8000",
        cookies: httpx.Cookies | None = None,
        app: Any = None,
    ) -> AsyncIterator[Inbox]:
        """``app`` shares an already created app (and so its sign-in limiter)."""
        app = app or create_app(settings or runtime.settings, runtime=runtime)
        transport = httpx.ASGITransport(app=app, client=client)
        async with httpx.AsyncClient(
            transport=transport, base_url=f"http://{host}", cookies=cookies
        ) as http:
            yield Inbox(http, runtime, app)

    return open_inbox


@pytest.fixture
async def approver(make_inbox: InboxFactory, settings: Settings) -> AsyncIterator[Inbox]:
    """Dana, signed in; she may decide."""
    async with make_inbox(with_sign_in(settings), client=REMOTE, host="inbox.example") as inbox:
        assert (await inbox.sign_in("dana")).status_code == 303
        yield inbox
