"""The Promises page, a customer's page and an update's page, through the inbox's ASGI app."""

from __future__ import annotations

import email
import email.policy

from cs_agent.core import ids
from cs_agent.services import queues
from cs_agent.services.local_tasks import change_task, list_tasks
from cs_agent.services.promise_updates import hand_updates_to_workers
from cs_agent.services.promise_views import list_promises

from .conftest import Inbox, text_of


async def sent_followup(inbox: Inbox) -> str:
    call_id = await inbox.upload_example()
    version = await inbox.address_draft(call_id)
    draft = inbox.draft_of(call_id)
    answer = await inbox.post(
        f"/inbox/drafts/{draft.id}/approve",
        {"version": str(version), "confirm": "send"},
        csrf_from=f"/inbox/calls/{call_id}",
    )
    assert answer.status_code == 303
    await queues.wait_for(ids.send_followup_workflow_id(draft.id, version), timeout=30)
    return call_id


async def keep_one(inbox: Inbox, call_id: str) -> tuple[str, str]:
    """Mark one of our promises done; returns (its title, its update draft id)."""
    promise = next(
        p for p in list_promises(inbox.runtime.engine, call_id=call_id) if p.side == "us"
    )
    task = next(t for t in list_tasks(inbox.runtime.engine) if t.title == promise.title)
    change = change_task(inbox.runtime.engine, task.id, state="completed", actor="web-test")
    [workflow] = hand_updates_to_workers(
        inbox.runtime.settings, [c.item_id for c in change.promises]
    )
    draft_id = await queues.wait_for(workflow, timeout=30)
    assert draft_id
    return promise.title, str(draft_id)


async def test_the_promises_page_lists_overdue_first_and_filters(approver: Inbox) -> None:
    call_id = await sent_followup(approver)
    kept_title, update_id = await keep_one(approver, call_id)
    promises = list_promises(approver.runtime.engine, call_id=call_id)

    page = await approver.get("/inbox/promises")
    assert page.status_code == 200
    text = text_of(page)
    for promise in promises:
        assert promise.title in text
    overdue = [p for p in promises if p.overdue]
    if overdue:  # the example's due dates are in November 2026
        assert "Overdue" in text
        first_row = page.text.split("<tbody>")[1].split("</tr>")[0]
        assert "promise-overdue" in first_row, "overdue promises come first"
    assert f"/inbox/updates/{update_id}" in page.text, "the waiting update is linked"

    kept = text_of(await approver.get("/inbox/promises", params={"status": "kept"}))
    assert kept_title in kept and "Not yet" in kept
    assert all(p.title not in kept for p in promises if p.title != kept_title)
    mine = text_of(await approver.get("/inbox/promises", params={"owner": "Dana Reyes"}))
    assert all(p.title in mine for p in promises if p.owner == "Dana Reyes")
    nobody = text_of(await approver.get("/inbox/promises", params={"customer": "Globex"}))
    assert "No promises match" in nobody
    bad = await approver.get("/inbox/promises", params={"status": "<b>late</b>"})
    assert bad.status_code == 400 and "<b>" not in bad.text


async def test_an_update_is_approved_in_the_inbox_and_replies_in_the_thread(
    approver: Inbox,
) -> None:
    call_id = await sent_followup(approver)
    kept_title, update_id = await keep_one(approver, call_id)
    followup = approver.draft_of(call_id)

    page = await approver.get(f"/inbox/updates/{update_id}")
    assert page.status_code == 200
    text = text_of(page)
    assert "Drafted from a template" in text and kept_title in text
    before = approver.outbox()
    confirm = await approver.post(
        f"/inbox/drafts/{update_id}/approve",
        {"version": "1"},
        csrf_from=f"/inbox/updates/{update_id}",
    )
    assert confirm.status_code == 200 and "Send this email?" in text_of(confirm)
    sent = await approver.post(
        f"/inbox/drafts/{update_id}/approve",
        {"version": "1", "confirm": "send"},
        csrf_from=f"/inbox/updates/{update_id}",
    )
    assert sent.status_code == 303 and sent.headers["location"].endswith(f"/updates/{update_id}")
    await queues.wait_for(ids.send_followup_workflow_id(update_id, 1), timeout=30)
    [new] = [path for path in approver.outbox() if path not in before]
    message = email.message_from_bytes(new.read_bytes(), policy=email.policy.default)
    assert message["In-Reply-To"] == followup.message_id
    assert message["Subject"] == f"Re: {followup.subject}"

    customer = text_of(await approver.get("/inbox/customers/Acme Freight"))
    assert "customer told" in customer and kept_title in customer
    assert followup.subject in customer and "(update)" in customer and "(follow-up)" in customer
    missing = await approver.get("/inbox/customers/Nobody Inc")
    assert missing.status_code == 404
    told = text_of(await approver.get("/inbox/promises", params={"status": "kept"}))
    assert "Yes" in told
