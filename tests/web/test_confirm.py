"""Approve in the inbox asks first, like Slack: a page with To, Cc and Subject, and only its
Send button sends."""

from __future__ import annotations

from cs_agent.core import ids
from cs_agent.services import queues

from .conftest import Inbox, csrf_of, text_of


async def test_approve_without_confirm_sends_nothing_and_with_confirm_sends_once(
    approver: Inbox,
) -> None:
    call_id = await approver.upload_example()
    version = await approver.address_draft(call_id)
    draft = approver.draft_of(call_id)
    page = await approver.get(f"/inbox/calls/{call_id}")
    form = {"version": str(version), "csrf_token": csrf_of(page)}
    path = f"/inbox/drafts/{draft.id}/approve"

    asked = await approver.post(path, form, csrf_from=None)
    assert asked.status_code == 200
    shown = text_of(asked)
    assert "Send this email?" in shown
    assert "To priya@acmefreight.example" in shown
    assert f"Subject {draft.subject}" in shown
    assert "Cc" in shown
    assert 'name="confirm" value="send"' in asked.text
    assert approver.draft_of(call_id).status == "pending"
    assert approver.outbox() == []

    sent = await approver.post(
        path, {**form, "csrf_token": csrf_of(asked), "confirm": "send"}, csrf_from=None
    )
    assert sent.status_code == 303
    await queues.wait_for(ids.send_followup_workflow_id(draft.id, version), timeout=60)
    again = await approver.post(path, {**form, "confirm": "send"}, csrf_from=None)
    assert again.status_code == 303
    assert len(approver.outbox()) == 1
    assert approver.draft_of(call_id).status == "sent"


async def test_the_confirm_page_send_needs_the_csrf_token(approver: Inbox) -> None:
    call_id = await approver.upload_example()
    version = await approver.address_draft(call_id)
    draft = approver.draft_of(call_id)
    forged = await approver.post(
        f"/inbox/drafts/{draft.id}/approve",
        {"version": str(version), "confirm": "send", "csrf_token": "forged"},
        csrf_from=None,
    )
    assert forged.status_code == 403
    assert approver.draft_of(call_id).status == "pending"
    assert approver.outbox() == []
