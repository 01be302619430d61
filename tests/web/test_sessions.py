"""Inbox sessions live on the server: signing out, or changing a password, ends them for good,
even for a copy of the cookie."""

from __future__ import annotations

import httpx
import pytest
from sqlmodel import select

from cs_agent.config import Settings
from storage.db import session_scope
from storage.models import WebSessionRow

from .conftest import HASHES, REMOTE, Inbox, InboxFactory, csrf_of, text_of, with_sign_in


def _copy(cookies: httpx.Cookies) -> httpx.Cookies:
    copied = httpx.Cookies()
    for cookie in cookies.jar:
        copied.set(cookie.name, cookie.value or "", domain=cookie.domain, path=cookie.path)
    return copied


async def test_a_copied_cookie_fails_after_sign_out(
    make_inbox: InboxFactory, settings: Settings, approver: Inbox
) -> None:
    call_id = await approver.upload_example()
    draft = approver.draft_of(call_id)
    stolen = _copy(approver.client.cookies)
    async with make_inbox(
        app=approver.app, client=REMOTE, host="inbox.example", cookies=stolen
    ) as thief:
        page = await thief.get(f"/inbox/calls/{call_id}")
        assert page.status_code == 200  # the copy works while the session does
        token = csrf_of(page)
        signed_out = await approver.post("/inbox/signout", {})
        assert signed_out.status_code == 303
        assert (await thief.get("/inbox/")).status_code == 303
        rejected = await thief.post(
            f"/inbox/drafts/{draft.id}/reject", {"reason": "stolen", "csrf_token": token}
        )
        assert rejected.status_code == 303
        assert "/inbox/signin" in rejected.headers["location"]
    assert approver.draft_of(call_id).status == "pending"
    assert all(action != "rejected" for _, action in approver.audit_of(call_id))


async def test_a_password_change_ends_earlier_sessions_even_if_changed_back(
    make_inbox: InboxFactory, settings: Settings
) -> None:
    configured = with_sign_in(settings)
    async with make_inbox(configured, client=REMOTE) as before:
        assert (await before.sign_in("dana")).status_code == 303
        cookies = _copy(before.client.cookies)
    changed = with_sign_in(settings, web_users={"dana": HASHES["sam"], "sam": HASHES["sam"]})
    async with make_inbox(changed, client=REMOTE, cookies=_copy(cookies)) as after:
        assert (await after.get("/inbox/")).status_code == 303
    # The old password is back, but the session made with it was revoked, not just hidden.
    async with make_inbox(configured, client=REMOTE, cookies=cookies) as back:
        assert (await back.get("/inbox/")).status_code == 303


async def test_signing_in_again_with_a_new_password_revokes_the_old_ones(
    make_inbox: InboxFactory, settings: Settings, approver: Inbox
) -> None:
    changed = with_sign_in(settings, web_users={"dana": HASHES["sam"], "sam": HASHES["sam"]})
    async with make_inbox(changed, client=REMOTE) as fresh:
        assert (await fresh.sign_in("dana", "sam-only-reads-2")).status_code == 303
    with session_scope(approver.runtime.engine) as db:
        rows = db.exec(select(WebSessionRow).where(WebSessionRow.user == "dana")).all()
    assert len(rows) == 2
    assert sum(row.revoked_at is None for row in rows) == 1


async def test_the_database_holds_no_session_id_and_the_cookie_no_credential(
    approver: Inbox,
) -> None:
    cookie = approver.client.cookies["cs_agent_inbox"]
    with session_scope(approver.runtime.engine) as db:
        row = db.exec(select(WebSessionRow)).one()
    assert row.id_hash not in cookie
    assert row.credential not in cookie
    assert (await approver.get("/inbox/")).status_code == 200


@pytest.mark.parametrize("via", ["token"])
async def test_the_admin_token_session_also_ends_on_sign_out(
    make_inbox: InboxFactory, settings: Settings, via: str
) -> None:
    async with make_inbox(with_sign_in(settings), client=REMOTE) as admin:
        signed_in = await admin.post(
            "/inbox/signin",
            {"method": via, "token": "admin-token-0123456789abcdef"},
            csrf_from="/inbox/signin",
        )
        assert signed_in.status_code == 303, text_of(signed_in)
        copy = _copy(admin.client.cookies)
        await admin.post("/inbox/signout", {})
    async with make_inbox(with_sign_in(settings), client=REMOTE, cookies=copy) as thief:
        assert (await thief.get("/inbox/")).status_code == 303
