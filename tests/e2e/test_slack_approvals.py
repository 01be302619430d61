"""Slack approvals end to end: the real app, signed interactions, the Web API emulator.

Each test processes an example call (offline analyzer, local task list, .eml outbox), so the
approval request is posted by the real workflow; clicks are ``block_actions`` payloads built
from the buttons of that message, signed, and posted to ``/slack/events`` of the app.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import os
import subprocess
import sys
import time
import urllib.parse
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from cs_agent.api.app import create_app
from cs_agent.bootstrap.adapters import build_adapters
from cs_agent.bootstrap.runtime import Runtime
from cs_agent.core import ids
from cs_agent.core.domain import DraftStatus, OutgoingEmail, SentEmail
from cs_agent.core.errors import RejectedInput
from cs_agent.core.slack_ids import APPROVE, EDIT, REJECT, RETRY, ButtonValue
from cs_agent.services import queues
from integrations.local import OutboxMailer
from storage.db import make_engine

from ..conftest import EXAMPLES, REPO_ROOT
from ..emulators.base import Fault
from ..emulators.slack import SlackEmulator, sign
from ..slack_env import (
    APPROVER,
    CHANNEL,
    GROUP_MEMBER,
    OUTSIDER,
    OWNER,
    SIGNING_SECRET,
    actions_of,
    audit_actions,
    draft_row,
    eventually,
    post_signed,
    process_example,
    slack_emulator,
    slack_env,
    slack_settings,
    texts_of,
)


@pytest.fixture
def slack() -> Iterator[SlackEmulator]:
    with slack_emulator() as emulator:
        yield emulator  # type: ignore[misc]


@pytest.fixture
async def runtime(isolated_environment: Path, slack: SlackEmulator) -> AsyncIterator[Runtime]:
    rt = Runtime(slack_settings(isolated_environment, slack))
    await rt.start()
    try:
        yield rt
    finally:
        await rt.stop()


@pytest.fixture
async def client(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(runtime.settings, runtime=runtime)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


SLACK_FIXTURES = REPO_ROOT / "tests" / "fixtures" / "slack"


def outbox(runtime: Runtime) -> list[Path]:
    return sorted(runtime.settings.outbox_dir.glob("*.eml"))


def the_request(slack: SlackEmulator) -> dict[str, Any]:
    (message,) = slack.top_level(CHANNEL)
    return message


async def test_the_request_is_one_message_with_everything_to_decide(
    runtime: Runtime, slack: SlackEmulator
) -> None:
    call_id, draft_id = await process_example(runtime)

    message = the_request(slack)
    text = texts_of(message)
    assert "Follow-up for Acme Freight · call of Nov 10, 2026" in text
    assert f"Account owner: <@{OWNER}>" in text, "our attendee's email resolved to a Slack user"
    draft = draft_row(runtime, draft_id)
    assert draft.subject in text and ", ".join(draft.to) in text
    assert "LOCAL-1" in text, "action items link their issues"
    assert actions_of(message) == [APPROVE, EDIT, REJECT]
    approve = next(b for b in message["blocks"] if b["type"] == "actions")["elements"][0]
    assert approve["style"] == "primary" and approve["confirm"]["confirm"]["text"] == "Send"
    assert ButtonValue.decode(approve["value"]) == ButtonValue(draft_id, 1)
    assert message["metadata"]["event_payload"]["draft_id"] == draft_id

    assert draft.approval_ref["slack_channel"] == CHANNEL
    assert draft.approval_ref["ts"] == message["ts"]
    assert draft.approval_ref["permalink"].endswith(
        f"/archives/{CHANNEL}/p{message['ts'].replace('.', '')}"
    )
    assert ("cs-agent", "approval_requested") in audit_actions(runtime, call_id)
    assert outbox(runtime) == [], "nothing is sent before a click"


@pytest.mark.parametrize("approver", [APPROVER, GROUP_MEMBER], ids=["listed", "group-member"])
async def test_approve_sends_one_email_and_updates_the_message(
    runtime: Runtime, slack: SlackEmulator, client: httpx.AsyncClient, approver: str
) -> None:
    call_id, draft_id = await process_example(runtime)
    message = the_request(slack)

    response = await post_signed(
        client, slack.click(message, APPROVE, user=approver, channel=CHANNEL)
    )
    assert response.status_code == 200

    await eventually(lambda: draft_row(runtime, draft_id).status == DraftStatus.SENT)
    (sent,) = outbox(runtime)
    parsed = email.message_from_bytes(sent.read_bytes(), policy=email.policy.default)
    assert parsed["Subject"] == draft_row(runtime, draft_id).subject

    def shows_sent() -> bool:
        return ":incoming_envelope: Sent" in texts_of(slack.message(CHANNEL, message["ts"]))

    await eventually(shows_sent)
    updated = slack.message(CHANNEL, message["ts"])
    assert actions_of(updated) == [], "buttons disappear once used"
    assert f"approved by <@{approver}>" in texts_of(updated)
    assert len(slack.top_level(CHANNEL)) == 1, "updated, never reposted"
    log = audit_actions(runtime, call_id)
    assert (f"slack:{approver}", "approved") in log
    assert log[-1] == ("outbox", "email_sent")


async def test_edit_then_approve_sends_the_edited_email(
    runtime: Runtime, slack: SlackEmulator, client: httpx.AsyncClient
) -> None:
    call_id, draft_id = await process_example(runtime)
    first = the_request(slack)
    original = draft_row(runtime, draft_id)

    assert (
        await post_signed(client, slack.click(first, EDIT, user=APPROVER, channel=CHANNEL))
    ).status_code == 200
    view = await eventually(lambda: slack.views[-1] if slack.views else None)
    inputs = {
        b["block_id"]: b["element"].get("initial_value")
        for b in view["blocks"]
        if b["type"] == "input"
    }
    assert inputs == {
        "to": ", ".join(original.to) or None,
        "cc": ", ".join(original.cc) or None,
        "subject": original.subject,
        "body": original.body,
    }

    bad = await post_signed(
        client,
        slack.submit(view, {"to": "priya@, not an address", "subject": "  "}, user=APPROVER),
    )
    assert bad.status_code == 200
    answer = bad.json()
    assert answer["response_action"] == "errors"
    assert set(answer["errors"]) == {"to", "subject"}
    assert "not an email address" in answer["errors"]["to"]
    assert draft_row(runtime, draft_id).version == 1, "an invalid edit changes nothing"
    smuggled = await post_signed(
        client,
        slack.submit(
            view,
            {"cc": "Bcc: x@evil.example, lena@acme.example,hidden2@evil.example"},
            user=APPROVER,
        ),
    )
    assert "Bcc: x@evil.example" in smuggled.json()["errors"]["cc"]
    assert draft_row(runtime, draft_id).version == 1

    edited_body = "Hi Priya,\n\nThe **edited** recap, with the pricing we agreed.\n"
    good = await post_signed(
        client,
        slack.submit(
            view,
            {
                "to": "Priya Natarajan <priya.natarajan@acmefreight.example>",
                "cc": "lena.hoffmann@acmefreight.example",
                "subject": "Edited: Acme next steps",
                "body": edited_body,
            },
            user=APPROVER,
        ),
    )
    assert good.status_code == 200 and good.content in (b"", b"{}")
    await eventually(lambda: draft_row(runtime, draft_id).version == 2)
    await eventually(
        lambda: "Edited: Acme next steps" in texts_of(slack.message(CHANNEL, first["ts"]))
    )
    second = slack.message(CHANNEL, first["ts"])
    assert "Draft version 2" in texts_of(second)

    # A click on the version the person saw before the edit must not send the edited text.
    stale = await post_signed(client, slack.click(first, APPROVE, user=APPROVER, channel=CHANNEL))
    assert stale.status_code == 200
    await eventually(lambda: any("edited" in t for t in slack.ephemerals_to(APPROVER)))
    assert draft_row(runtime, draft_id).status == DraftStatus.PENDING

    await post_signed(client, slack.click(second, APPROVE, user=APPROVER, channel=CHANNEL))
    await eventually(lambda: draft_row(runtime, draft_id).status == DraftStatus.SENT)
    (sent,) = outbox(runtime)
    parsed = email.message_from_bytes(sent.read_bytes(), policy=email.policy.default)
    assert parsed["Subject"] == "Edited: Acme next steps"
    assert "priya.natarajan@acmefreight.example" in parsed["To"]
    assert "lena.hoffmann@acmefreight.example" in parsed["Cc"]
    plain = parsed.get_body(preferencelist=("plain",))
    assert plain is not None and "The edited recap" in plain.get_content()
    log = audit_actions(runtime, call_id)
    assert (f"slack:{APPROVER}", "edited") in log and (f"slack:{APPROVER}", "approved") in log


async def test_reject_with_a_reason(
    runtime: Runtime, slack: SlackEmulator, client: httpx.AsyncClient
) -> None:
    call_id, draft_id = await process_example(runtime)
    message = the_request(slack)
    await post_signed(client, slack.click(message, REJECT, user=APPROVER, channel=CHANNEL))
    view = await eventually(lambda: slack.views[-1] if slack.views else None)
    assert view["callback_id"] == "cs_agent.reject_draft"

    answer = await post_signed(
        client, slack.submit(view, {"reason": "Pricing is wrong"}, user=APPROVER)
    )
    assert answer.status_code == 200
    await eventually(lambda: draft_row(runtime, draft_id).status == DraftStatus.REJECTED)
    assert draft_row(runtime, draft_id).reject_reason == "Pricing is wrong"
    await eventually(lambda: "Rejected by" in texts_of(slack.message(CHANNEL, message["ts"])))
    updated = slack.message(CHANNEL, message["ts"])
    assert f"Rejected by <@{APPROVER}>" in texts_of(updated) and "Pricing is wrong" in texts_of(
        updated
    )
    assert actions_of(updated) == []

    # The old Approve button (a stale client) cannot resurrect it.
    await post_signed(client, slack.click(message, APPROVE, user=APPROVER, channel=CHANNEL))
    await eventually(lambda: any("rejected" in t for t in slack.ephemerals_to(APPROVER)))
    assert outbox(runtime) == []
    assert (f"slack:{APPROVER}", "rejected") in audit_actions(runtime, call_id)


@pytest.mark.parametrize("action", [APPROVE, EDIT, REJECT])
async def test_someone_who_is_not_an_approver_changes_nothing(
    runtime: Runtime, slack: SlackEmulator, client: httpx.AsyncClient, action: str
) -> None:
    call_id, draft_id = await process_example(runtime)
    message = the_request(slack)
    updates_before = len(slack.requests_to("/api/chat.update"))

    response = await post_signed(
        client, slack.click(message, action, user=OUTSIDER, channel=CHANNEL)
    )
    assert response.status_code == 200
    (told,) = await eventually(lambda: slack.ephemerals_to(OUTSIDER))
    assert "You are not an approver" in told and f"<@{APPROVER}>" in told

    assert draft_row(runtime, draft_id).status == DraftStatus.PENDING
    assert slack.views == [], "no modal for a non-approver"
    assert len(slack.requests_to("/api/chat.update")) == updates_before
    assert slack.message(CHANNEL, message["ts"])["blocks"] == message["blocks"]
    assert (f"slack:{OUTSIDER}", "refused") in audit_actions(runtime, call_id)
    assert outbox(runtime) == []


async def test_a_non_approver_submitting_a_modal_is_refused_inline(
    runtime: Runtime, slack: SlackEmulator, client: httpx.AsyncClient
) -> None:
    _call_id, draft_id = await process_example(runtime)
    await post_signed(client, slack.click(the_request(slack), EDIT, user=APPROVER, channel=CHANNEL))
    view = await eventually(lambda: slack.views[-1] if slack.views else None)
    answer = await post_signed(client, slack.submit(view, {"subject": "Mine now"}, user=OUTSIDER))
    assert answer.json()["response_action"] == "errors"
    assert "not an approver" in answer.json()["errors"]["subject"]
    assert draft_row(runtime, draft_id).version == 1


async def test_ten_concurrent_clicks_and_a_slack_retry_send_one_email(
    runtime: Runtime, slack: SlackEmulator, client: httpx.AsyncClient
) -> None:
    call_id, draft_id = await process_example(runtime)
    message = the_request(slack)
    clicks = [
        slack.click(message, APPROVE, user=APPROVER if n % 2 else GROUP_MEMBER, channel=CHANNEL)
        for n in range(10)
    ]
    responses = await asyncio.gather(
        *(post_signed(client, click) for click in clicks),
        post_signed(
            client,
            clicks[0],
            headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"},
        ),
    )
    assert [r.status_code for r in responses] == [200] * 11

    await eventually(lambda: draft_row(runtime, draft_id).status == DraftStatus.SENT)
    await asyncio.sleep(0.5)  # give any duplicate a chance to show itself
    assert len(outbox(runtime)) == 1
    log = audit_actions(runtime, call_id)
    assert [a for _, a in log].count("approved") == 1
    assert [a for _, a in log].count("email_sent") == 1
    decider = draft_row(runtime, draft_id).decided_by
    await eventually(
        lambda: (
            f"approved by <@{decider.removeprefix('slack:')}>"
            in texts_of(slack.message(CHANNEL, message["ts"]))
        )
    )
    assert slack.ephemerals == [], "duplicates need no answer: the message shows who approved"


@pytest.mark.parametrize(
    ("secret", "age", "drop"),
    [
        ("forged-secret", 0, None),
        (None, 0, "X-Slack-Signature"),
        (None, 0, "X-Slack-Request-Timestamp"),
        (None, 301, None),
    ],
    ids=["forged", "no-signature", "no-timestamp", "older-than-5-minutes"],
)
async def test_unsigned_forged_or_stale_requests_are_refused_before_any_listener(
    runtime: Runtime,
    slack: SlackEmulator,
    client: httpx.AsyncClient,
    secret: str | None,
    age: int,
    drop: str | None,
) -> None:
    call_id, draft_id = await process_example(runtime)
    payload = slack.click(the_request(slack), APPROVE, user=APPROVER, channel=CHANNEL)
    from ..emulators.slack import signed_request
    from ..slack_env import SIGNING_SECRET

    body, headers = signed_request(
        payload, secret or SIGNING_SECRET, timestamp=int(time.time()) - age
    )
    if drop:
        del headers[drop]
    calls_before = len(slack.requests)
    audit_before = audit_actions(runtime, call_id)

    response = await client.post("/slack/events", content=body, headers=headers)
    assert response.status_code == 401
    await asyncio.sleep(0.3)  # a listener, had one run, would call Slack by now
    assert len(slack.requests) == calls_before, (
        "not even auth.test: refused before Bolt's listeners"
    )
    assert audit_actions(runtime, call_id) == audit_before
    assert draft_row(runtime, draft_id).status == DraftStatus.PENDING


async def test_slack_rate_limit_is_waited_out_and_the_request_posted_once(
    runtime: Runtime, slack: SlackEmulator
) -> None:
    slack.fail_next(
        1,
        Fault(status=429, body={"ok": False, "error": "ratelimited"}, headers={"Retry-After": "1"}),
        when=lambda r: r.path == "/api/chat.postMessage",
    )
    _call_id, draft_id = await process_example(runtime)
    assert [r.path for r in slack.faulted] == ["/api/chat.postMessage"]
    assert len(slack.requests_to("/api/chat.postMessage")) == 1
    assert len(slack.top_level(CHANNEL)) == 1
    assert draft_row(runtime, draft_id).approval_ref["ts"] == the_request(slack)["ts"]


class RefusingMailer:
    """The outbox, except that while ``refusing`` it answers like a mail server that says no."""

    name = "outbox"

    def __init__(self, outbox: OutboxMailer) -> None:
        self._outbox = outbox
        self.refusing = True

    async def send(self, message: OutgoingEmail) -> SentEmail:
        if self.refusing:
            raise RejectedInput("smtp", "550 5.1.1 mailbox unavailable")
        return await self._outbox.send(message)

    async def find_sent(self, message_id: str) -> SentEmail | None:
        return await self._outbox.find_sent(message_id)


async def test_a_failed_send_is_explained_in_the_thread_and_retry_sends_once(
    isolated_environment: Path, slack: SlackEmulator
) -> None:
    settings = slack_settings(isolated_environment, slack)
    engine = make_engine(settings.app_database_url)
    adapters = build_adapters(settings, engine)
    mailer = RefusingMailer(OutboxMailer(settings.outbox_dir))
    adapters.mailer = mailer
    runtime = Runtime(settings, adapters=adapters, engine=engine)
    await runtime.start()
    try:
        app = create_app(settings, runtime=runtime)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as client:
            _call_id, draft_id = await process_example(runtime)
            message = the_request(slack)
            await post_signed(client, slack.click(message, APPROVE, user=APPROVER, channel=CHANNEL))
            await eventually(lambda: draft_row(runtime, draft_id).status == DraftStatus.FAILED)
            (reply,) = await eventually(lambda: slack.replies(CHANNEL, message["ts"]))
            assert "550 5.1.1 mailbox unavailable" in texts_of(reply)
            assert actions_of(reply) == [RETRY, EDIT]
            assert "Sending failed" in texts_of(slack.message(CHANNEL, message["ts"]))

            mailer.refusing = False  # the mailbox is back
            await asyncio.gather(
                *(
                    post_signed(client, slack.click(reply, RETRY, user=APPROVER, channel=CHANNEL))
                    for _ in range(3)
                )
            )
            await eventually(lambda: draft_row(runtime, draft_id).status == DraftStatus.SENT)
            await asyncio.sleep(0.3)
            assert len(list(settings.outbox_dir.glob("*.eml"))) == 1
            await eventually(lambda: "Sent" in texts_of(slack.message(CHANNEL, message["ts"])))
    finally:
        await runtime.stop()


async def test_socket_mode_receives_clicks_without_a_public_url(
    isolated_environment: Path, slack: SlackEmulator
) -> None:
    settings = slack_settings(
        isolated_environment,
        slack,
        slack_signing_secret=None,
        slack_socket_mode=True,
        slack_app_token=slack.app_token,
    )
    app = create_app(settings)
    routes = {getattr(r, "path", None) for r in app.routes}
    assert "/slack/events" not in routes, "no signing secret: no HTTP endpoint to forge requests to"
    async with app.router.lifespan_context(app):
        runtime: Runtime = app.state.runtime
        await eventually(slack.socket_connected)
        _call_id, draft_id = await process_example(runtime)
        envelope = slack.socket_send(
            slack.click(the_request(slack), APPROVE, user=APPROVER, channel=CHANNEL)
        )
        await eventually(lambda: any(a.get("envelope_id") == envelope for a in slack.socket_acks))
        await eventually(lambda: draft_row(runtime, draft_id).status == DraftStatus.SENT)
        assert len(list(settings.outbox_dir.glob("*.eml"))) == 1


def test_payload_shapes_match_slacks(slack: SlackEmulator) -> None:
    """The payloads the tests post have every field of the real ones the listeners read."""
    message = {
        "ts": "1.2",
        "blocks": [
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "a",
                        "text": {"type": "plain_text", "text": "x"},
                        "value": "v",
                    }
                ],
            }
        ],
    }
    real_click = json.loads((SLACK_FIXTURES / "block_actions.bolt-python-test.json").read_text())
    click = slack.click(message, "a", user="W111", channel="C111")
    assert set(real_click) <= set(click)
    assert set(real_click["actions"][0]) <= set(click["actions"][0])
    assert set(real_click["container"]) <= set(click["container"])

    real_submit = json.loads((SLACK_FIXTURES / "view_submission.bolt-python-test.json").read_text())
    view = {**real_submit["view"], "blocks": real_submit["view"]["blocks"]}
    submit = slack.submit(view, {"hspI": "changed"}, user="W111")
    assert set(real_submit) <= set(submit)
    assert set(real_submit["view"]) <= set(submit["view"])
    assert submit["view"]["state"]["values"] == {
        "hspI": {"maBWU": {"type": "plain_text_input", "value": "changed"}}
    }


async def test_a_process_killed_between_posting_and_recording_leaves_one_message(
    isolated_environment: Path, slack: SlackEmulator
) -> None:
    """Slack has the message, the process dies before storing where it is: no second post."""
    settings = slack_settings(isolated_environment, slack)
    env = {**os.environ, **slack_env(slack)}
    slack.answer_late("chat.postMessage", 60)
    transcript = next(EXAMPLES.glob("acme-renewal.v*"))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.e2e.slack_posting_process",
            str(transcript),
            str(EXAMPLES / "acme-renewal.meta.json"),
        ],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        await eventually(lambda: slack.top_level(CHANNEL) or proc.poll() is not None, timeout=90)
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
    finally:
        proc.kill()  # SIGKILL while it waits for Slack's answer
        proc.wait(timeout=10)
    (posted,) = slack.top_level(CHANNEL)

    runtime = Runtime(settings)
    await runtime.start()  # DBOS resumes process_call at its request_approval step
    try:
        call_id = str(proc.stdout.read().decode().strip()) if proc.stdout else ""
        await queues.wait_for(ids.process_call_workflow_id(call_id), timeout=60)
        draft = draft_row(runtime, ids.draft_id_for(call_id))
        assert draft.approval_ref["ts"] == posted["ts"], "found the message it had posted"
        assert len(slack.top_level(CHANNEL)) == 1
        assert len(slack.requests_to("/api/chat.postMessage")) == 1
        assert slack.requests_to("/api/chat.update"), "the found message was brought up to date"
    finally:
        await runtime.stop()


def _signed(body: bytes, *, stamp: str | None = None) -> dict[str, str]:
    """Headers Slack would send with ``body``, signed with the app's secret."""
    stamp = stamp or str(int(time.time()))
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": sign(SIGNING_SECRET, stamp, body),
    }


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ("{not json", "payload"),
        ("[1, 2]", "payload"),
        ('{"user": {"id": "U1"}}', "payload.type"),
        ('{"type": "block_actions", "user": "U1"}', "payload.user.id"),
    ],
    ids=["bad-json", "not-an-object", "no-type", "user-wrong-type"],
)
async def test_signed_but_malformed_payloads_get_400_naming_the_field(
    runtime: Runtime, client: httpx.AsyncClient, payload: str, field: str
) -> None:
    body = urllib.parse.urlencode({"payload": payload}).encode()
    response = await client.post("/slack/events", content=body, headers=_signed(body))
    assert response.status_code == 400
    assert response.json()["field"] == field


async def test_a_non_numeric_timestamp_is_401_and_an_oversized_body_413(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    body = b"payload=%7B%7D"
    headers = _signed(body, stamp="abc")
    response = await client.post("/slack/events", content=body, headers=headers)
    assert response.status_code == 401
    big = b"payload=" + b"x" * (300 * 1024)
    response = await client.post("/slack/events", content=big, headers=_signed(big))
    assert response.status_code == 413
