"""Who gets in: loopback-only without credentials, sign-in, sessions, roles, CSRF, throttling."""

from __future__ import annotations

import base64
import json
import re

import pytest
from itsdangerous import TimestampSigner

from cs_agent.config import Settings

from .conftest import (
    ADMIN_TOKEN,
    HASHES,
    LOCAL,
    REMOTE,
    Inbox,
    InboxFactory,
    csrf_of,
    text_of,
    with_sign_in,
)

BANNER = "Only on this machine."


async def test_without_credentials_only_loopback_is_served_and_every_page_says_so(
    make_inbox: InboxFactory,
) -> None:
    async with make_inbox() as local:
        assert (await local.get("/")).headers["location"] == "/inbox/"
        for path in ("/inbox/", "/inbox/upload"):
            page = await local.get(path)
            assert page.status_code == 200, path
            assert BANNER in text_of(page), path
            assert "Sign out" not in text_of(page)
        # Nobody to sign in as: the sign-in page sends the local user straight on.
        assert (await local.get("/inbox/signin")).headers["location"] == "/inbox/"

    async with make_inbox(client=REMOTE) as remote:
        page = await remote.get("/inbox/")
        assert page.status_code == 403
        assert "answers only requests from the machine it runs on" in text_of(page)
        assert (await remote.get("/inbox/upload")).status_code == 403

    # A page on another site that resolves its own name to 127.0.0.1 (DNS rebinding) is refused.
    async with make_inbox(host="attacker.example:8000") as rebound:
        assert (await rebound.get("/inbox/")).status_code == 403
    async with make_inbox(host="localhost:8000") as by_name:
        assert (await by_name.get("/inbox/")).status_code == 200
    async with make_inbox(client=("::1", 5000), host="[::1]:8000") as ipv6:
        assert (await ipv6.get("/inbox/")).status_code == 200


async def test_sign_in_then_back_to_the_page_asked_for_then_sign_out(
    make_inbox: InboxFactory, settings: Settings
) -> None:
    async with make_inbox(with_sign_in(settings), client=REMOTE, host="inbox.example") as inbox:
        asked = await inbox.get("/inbox/calls/call-abc?x=1")
        assert asked.status_code == 303
        assert asked.headers["location"] == "/inbox/signin?next=%2Finbox%2Fcalls%2Fcall-abc%3Fx%3D1"

        form = await inbox.get(asked.headers["location"])
        assert form.status_code == 200
        assert BANNER not in text_of(form)  # credentials exist: no loopback banner
        assert 'value="/inbox/calls/call-abc?x=1"' in form.text

        signed_in = await inbox.post(
            "/inbox/signin",
            {
                "method": "password",
                "name": "dana",
                "password": "dana-approves-1",
                "next": "/inbox/calls/call-abc?x=1",
            },
            csrf_from="/inbox/signin",
        )
        assert signed_in.status_code == 303
        assert signed_in.headers["location"] == "/inbox/calls/call-abc?x=1"
        cookie = signed_in.headers["set-cookie"]
        assert "cs_agent_inbox=" in cookie
        assert "httponly" in cookie.lower()
        assert "samesite=lax" in cookie.lower()
        assert "path=/inbox" in cookie.lower()

        calls = await inbox.get("/inbox/")
        assert calls.status_code == 200
        assert "dana" in text_of(calls)
        assert "Upload" in text_of(calls)

        out = await inbox.post("/inbox/signout", {})
        assert out.status_code == 303
        assert out.headers["location"] == "/inbox/signin"
        assert (await inbox.get("/inbox/")).status_code == 303


@pytest.mark.parametrize(
    ("name", "password"),
    [
        ("dana", "wrong-password"),
        ("nobody", "dana-approves-1"),
        ("", ""),
        ("sam", "dana-approves-1"),
    ],
)
async def test_wrong_credentials_get_one_answer_and_no_session(
    make_inbox: InboxFactory, settings: Settings, name: str, password: str
) -> None:
    async with make_inbox(with_sign_in(settings), client=REMOTE) as inbox:
        refused = await inbox.sign_in(name, password)
        assert refused.status_code == 401
        assert "Not signed in: that name and password do not match." in text_of(refused)
        assert (await inbox.get("/inbox/")).status_code == 303


async def test_admin_token_signs_in_an_approver(
    make_inbox: InboxFactory, settings: Settings
) -> None:
    async with make_inbox(with_sign_in(settings), client=REMOTE) as inbox:
        wrong = await inbox.post(
            "/inbox/signin", {"method": "token", "token": "x" * 30}, csrf_from="/inbox/signin"
        )
        assert wrong.status_code == 401
        assert "admin token is not right" in text_of(wrong)
        ok = await inbox.post(
            "/inbox/signin", {"method": "token", "token": ADMIN_TOKEN}, csrf_from="/inbox/signin"
        )
        assert ok.status_code == 303
        page = await inbox.get("/inbox/upload")
        assert page.status_code == 200
        assert "admin" in text_of(page)


async def test_only_the_admin_token_form_shows_when_no_users_are_configured(
    make_inbox: InboxFactory, settings: Settings
) -> None:
    only_token = with_sign_in(settings, web_users={}, web_approvers=[])
    async with make_inbox(only_token, client=REMOTE) as inbox:
        page = text_of(await inbox.get("/inbox/signin"))
        assert "Admin token" in page
        assert "Password" not in page


async def test_failed_sign_ins_are_throttled_per_client(
    make_inbox: InboxFactory, settings: Settings
) -> None:
    configured = with_sign_in(settings)
    async with make_inbox(configured, client=REMOTE) as guesser:
        for _ in range(5):
            assert (await guesser.sign_in("dana", "guess")).status_code == 401
        blocked = await guesser.sign_in("dana")  # even the right password, for now
        assert blocked.status_code == 429
        assert 1 <= int(blocked.headers["retry-after"]) <= 60
        assert "Too many failed attempts" in text_of(blocked)
        # Someone else, from another address, is not held up by it (same app, same limiter).
        async with make_inbox(app=guesser.app, client=LOCAL) as elsewhere:
            assert (await elsewhere.sign_in("dana")).status_code == 303


@pytest.mark.parametrize(
    "change",
    [
        {"web_users": {"dana": HASHES["sam"], "sam": HASHES["sam"]}},  # password changed
        {"web_users": {"sam": HASHES["sam"]}},  # user removed
        {"web_session_secret": "another-secret-entirely"},  # key rotated
    ],
    ids=["password-changed", "user-removed", "secret-rotated"],
)
async def test_sessions_end_when_the_credential_changes(
    make_inbox: InboxFactory, settings: Settings, change: dict[str, object]
) -> None:
    async with make_inbox(with_sign_in(settings), client=REMOTE) as before:
        assert (await before.sign_in("dana")).status_code == 303
        assert (await before.get("/inbox/")).status_code == 200
        cookies = before.client.cookies
        async with make_inbox(
            with_sign_in(settings, **change), client=REMOTE, cookies=cookies
        ) as after:
            assert (await after.get("/inbox/")).status_code == 303


async def test_a_session_cookie_signed_with_another_key_is_ignored(
    make_inbox: InboxFactory, settings: Settings
) -> None:
    configured = with_sign_in(settings)
    async with make_inbox(configured, client=REMOTE) as inbox:
        await inbox.sign_in("sam")
        assert (await inbox.get("/inbox/")).status_code == 200
        # A real session id (sam's) in a cookie signed with another key.
        signed_cookie = inbox.client.cookies["cs_agent_inbox"]
        payload = base64.b64decode(signed_cookie.split(".")[0] + "==")
        session = {"sid": json.loads(payload)["sid"]}
        forged = TimestampSigner("guessed-key").sign(base64.b64encode(json.dumps(session).encode()))
        inbox.client.cookies.clear()
        inbox.client.cookies.set("cs_agent_inbox", forged.decode(), path="/inbox")
        assert (await inbox.get("/inbox/")).status_code == 303


@pytest.mark.parametrize(
    "target", ["https://evil.example/inbox/", "//evil.example/", "/\\evil.example", "javascript:x"]
)
async def test_sign_in_never_redirects_off_site(
    make_inbox: InboxFactory, settings: Settings, target: str
) -> None:
    async with make_inbox(with_sign_in(settings), client=REMOTE) as inbox:
        response = await inbox.post(
            "/inbox/signin",
            {"method": "password", "name": "dana", "password": "dana-approves-1", "next": target},
            csrf_from="/inbox/signin",
        )
        assert response.status_code == 303
        assert response.headers["location"] == "/inbox/"


async def test_every_form_needs_the_sessions_csrf_token(
    make_inbox: InboxFactory, settings: Settings, approver: Inbox
) -> None:
    call_id = await approver.upload_example()
    draft = approver.draft_of(call_id)
    forms = {
        "/inbox/signin": {"method": "password", "name": "dana", "password": "dana-approves-1"},
        "/inbox/signout": {},
        "/inbox/upload": {"transcript": "Ann: We will send the deck by Friday."},
        f"/inbox/drafts/{draft.id}/approve": {"version": "1"},
        f"/inbox/drafts/{draft.id}/edit": {
            "version": "1",
            "subject": "Hi",
            "body": "Hello",
            "to": "a@b.example",
        },
        f"/inbox/drafts/{draft.id}/reject": {"reason": "no"},
    }
    for path, data in forms.items():
        for token in (None, "not-the-token"):
            sent = data if token is None else {**data, "csrf_token": token}
            response = await approver.post(path, sent, csrf_from=None)
            assert response.status_code == 403, (path, token)
            assert "This form expired or did not come from this inbox" in text_of(response)
    # Nothing happened: still signed in, still one call, the draft untouched.
    assert (await approver.get("/inbox/")).status_code == 200
    after = approver.draft_of(call_id)
    assert (after.status, after.version, after.subject) == ("pending", 1, draft.subject)
    assert approver.outbox() == []

    # Another person's token does not work in this session either.
    async with make_inbox(with_sign_in(settings), client=REMOTE) as other:
        await other.sign_in("dana")
        their_token = csrf_of(await other.get("/inbox/"))
    response = await approver.post(
        f"/inbox/drafts/{draft.id}/approve", {"version": "1", "csrf_token": their_token}
    )
    assert response.status_code == 403


async def test_a_viewer_sees_no_buttons_and_cannot_decide_or_upload(
    make_inbox: InboxFactory, settings: Settings, approver: Inbox
) -> None:
    call_id = await approver.upload_example()
    draft = approver.draft_of(call_id)
    async with make_inbox(with_sign_in(settings), client=REMOTE) as viewer:
        assert (await viewer.sign_in("sam")).status_code == 303
        calls = await viewer.get("/inbox/")
        assert "sam (viewer)" in text_of(calls)
        assert "/inbox/upload" not in calls.text
        page = await viewer.get(f"/inbox/calls/{call_id}")
        assert page.status_code == 200
        assert "/approve" not in page.text and "/edit" not in page.text
        assert "/reject" not in page.text
        assert "Approve &amp; send" not in page.text
        assert "only approvers can approve, edit or reject it" in text_of(page)

        token = csrf_of(page)
        for action, data in (
            ("approve", {"version": "1"}),
            ("reject", {"reason": "viewer says no"}),
            ("edit", {"version": "1", "subject": "x", "body": "y", "to": "a@b.example"}),
        ):
            refused = await viewer.post(
                f"/inbox/drafts/{draft.id}/{action}", {**data, "csrf_token": token}
            )
            assert refused.status_code == 403, action
            assert "You can view calls but not decide" in text_of(refused)
        assert (await viewer.get("/inbox/upload")).status_code == 403
        upload = await viewer.post(
            "/inbox/upload", {"transcript": "Ann: hello", "csrf_token": token}, csrf_from=None
        )
        assert upload.status_code == 403
    after = approver.draft_of(call_id)
    assert (after.status, after.version) == ("pending", 1)
    assert all(actor != "web:sam" for actor, _ in approver.audit_of(call_id))


async def test_pages_carry_security_headers(approver: Inbox) -> None:
    page = await approver.get("/inbox/")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["cache-control"] == "no-store"
    # The pages work offline: scripts and styles come from the inbox itself.
    assets = re.findall(r'<script[^>]* src="([^"]+)"|<link[^>]* href="([^"]+)"', page.text)
    paths = sorted(src or href for src, href in assets)
    assert [p.split("?")[0] for p in paths] == [
        "/inbox/static/favicon.svg",
        "/inbox/static/inbox.css",
        "/inbox/static/inbox.js",
    ]
    for path, kind in zip(paths, ("image/svg+xml", "text/css", "javascript"), strict=True):
        response = await approver.get(path)
        assert response.status_code == 200
        assert kind in response.headers["content-type"]
