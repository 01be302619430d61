"""The call page under each follow-up policy: the policy shown, "no follow-up needed" with a
Draft one anyway button for approvers, and a policy of none."""

from __future__ import annotations

import asyncio

from cs_agent.core import ids
from cs_agent.services import queues
from storage import repo
from storage.db import session_scope

from .conftest import ACME_META, REMOTE, Inbox, InboxFactory, csrf_of, text_of

SMALL_TALK = (
    "WEBVTT\n\n00:00:01.000 --> 00:00:04.000\n<v Priya Natarajan>Hi all, thanks.\n\n"
    "00:00:05.000 --> 00:00:08.000\n<v Dana Reyes>Good to see you, bye.\n"
)


async def upload_small_talk(inbox: Inbox) -> str:
    response = await inbox.upload(SMALL_TALK, **ACME_META)
    assert response.status_code == 303, text_of(response)
    call_id = response.headers["location"].rsplit("/", 1)[1]
    await queues.wait_for(ids.process_call_workflow_id(call_id), timeout=60)
    return call_id


def has_draft(inbox: Inbox, call_id: str) -> bool:
    with session_scope(inbox.runtime.engine) as session:
        return repo.get_draft_for_call(session, call_id=call_id) is not None


async def test_the_call_page_shows_the_policy_in_force(approver: Inbox) -> None:
    call_id = await approver.upload_example()
    text = text_of(await approver.get(f"/inbox/calls/{call_id}"))
    assert "Follow-up policy: approval (default)" in text


async def test_no_followup_needed_and_draft_one_anyway_once(approver: Inbox) -> None:
    call_id = await upload_small_talk(approver)
    page = await approver.get(f"/inbox/calls/{call_id}")
    assert "No follow-up needed: nothing was agreed or asked" in text_of(page)
    assert "Draft one anyway" in page.text
    assert not has_draft(approver, call_id)
    assert "Not needed" in text_of(await approver.get("/inbox/"))

    form = {"csrf_token": csrf_of(page)}
    path = f"/inbox/calls/{call_id}/draft-anyway"
    clicks = await asyncio.gather(*(approver.post(path, form, csrf_from=None) for _ in range(3)))
    assert {c.status_code for c in clicks} == {303}
    await queues.wait_for(ids.draft_anyway_workflow_id(call_id), timeout=60)
    shown = await approver.get(f"/inbox/calls/{call_id}")
    assert "Pending approval" in text_of(shown)
    assert approver.audit_of(call_id).count(("web:dana", "draft_anyway")) == 1
    assert approver.outbox() == []


async def test_a_viewer_gets_no_draft_anyway_button(
    approver: Inbox, make_inbox: InboxFactory
) -> None:
    call_id = await upload_small_talk(approver)
    async with make_inbox(app=approver.app, client=REMOTE, host="inbox.example") as sam:
        assert (await sam.sign_in("sam")).status_code == 303
        page = await sam.get(f"/inbox/calls/{call_id}")
        assert "No follow-up needed" in text_of(page)
        assert "Draft one anyway" not in page.text
        refused = await sam.post(
            f"/inbox/calls/{call_id}/draft-anyway", {"csrf_token": csrf_of(page)}, csrf_from=None
        )
        assert refused.status_code == 403
        assert not has_draft(sam, call_id)


async def test_the_page_and_the_send_confirmation_show_what_each_edit_changed(
    approver: Inbox,
) -> None:
    call_id = await approver.upload_example()
    version = await approver.address_draft(call_id)
    draft = approver.draft_of(call_id)
    page = await approver.get(f"/inbox/calls/{call_id}")
    edited = await approver.post(
        f"/inbox/drafts/{draft.id}/edit",
        {
            "version": str(version),
            "subject": "Renewal: <b>next</b> steps",
            "body": draft.body.replace("\n", "\nAdded line.\n", 1),
            "to": "priya@acmefreight.example",
            "csrf_token": csrf_of(page),
        },
        csrf_from=None,
    )
    assert edited.status_code == 303, text_of(edited)

    shown = await approver.get(f"/inbox/calls/{call_id}")
    text = text_of(shown)
    assert "Changes between versions" in text
    assert "v1 → v2 by web:dana" in text and "v2 → v3 by web:dana" in text
    assert "<ins>priya@acmefreight.example</ins>" in shown.text  # To, added in v2
    assert "<ins>Renewal: &lt;b&gt;next&lt;/b&gt; steps</ins>" in shown.text  # escaped
    assert "<ins>+ Added line.</ins>" in shown.text

    confirm = await approver.post(
        f"/inbox/drafts/{draft.id}/approve",
        {"version": str(version + 1), "csrf_token": csrf_of(shown)},
        csrf_from=None,
    )
    assert confirm.status_code == 200
    assert "Send this email?" in text_of(confirm)
    assert "v2 → v3 by web:dana" in text_of(confirm)
    assert approver.outbox() == [], "the confirmation sends nothing"
