"""Promises on the embedded defaults: the local task list plays Linear's part.

``tasks done`` keeps a promise and drafts one update a customer for the window, replying in
the follow-up's thread; ``tasks drop`` drops it and nobody is emailed; a customer's own
promise kept is news for nobody.
"""

from __future__ import annotations

import email
import email.policy

from prometheus_client.parser import text_string_to_metric_families

from cs_agent.api.app import create_app
from cs_agent.bootstrap.runtime import Runtime
from cs_agent.config import Settings
from cs_agent.core.domain import DraftStatus, Side
from cs_agent.core.followup import FollowUpPolicy
from cs_agent.services import approvals, queues
from cs_agent.services.local_tasks import change_task, list_tasks
from cs_agent.services.promise_updates import hand_updates_to_workers
from storage import repo
from storage.db import session_scope

from .intake_helpers import aclient
from .promise_helpers import (
    outbox,
    processed_call_with_sent_followup,
    promises_of,
    update_drafts,
    wait_all,
)
from .test_local_flow import example_call, process


async def test_kept_promises_become_one_update_in_the_followups_thread(runtime: Runtime) -> None:
    call_id = await processed_call_with_sent_followup(runtime)
    promises = promises_of(runtime, call_id)
    assert promises and all(p.status == "open" for p in promises)
    ours = [p for p in promises if p.side == "us"]
    assert len(ours) >= 2

    tasks = {task.title: task for task in list_tasks(runtime.engine)}
    workflow_ids: list[str] = []
    for promise in ours[:2]:
        task = tasks[promise.title]
        assert task.side == "us" and task.status == "open"
        change = change_task(runtime.engine, task.identifier, state="completed", actor="cli:dana")
        assert change.changed and [c.status for c in change.promises] == ["kept"]
        workflow_ids += hand_updates_to_workers(
            runtime.settings, [c.item_id for c in change.promises if c.tell_customer]
        )
    # Done again: nothing changes, no second report.
    again = change_task(
        runtime.engine, tasks[ours[0].title].identifier, state="completed", actor="x"
    )
    assert not again.changed and again.promises == []
    await wait_all(workflow_ids)

    drafts = update_drafts(runtime)
    assert len(drafts) == 1, "two promises kept within the window make one update"
    update = drafts[0]
    assert update.status == DraftStatus.PENDING
    for promise in ours[:2]:
        assert promise.title.lower().rstrip(".")[:30] in update.body.lower()
    with session_scope(runtime.engine) as session:
        followup = repo.get_draft_for_call(session, call_id=call_id)
        assert followup is not None
    assert update.to == followup.to and update.cc == followup.cc
    assert update.subject == f"Re: {followup.subject}"
    assert update.in_reply_to == followup.message_id
    sent_before = outbox(runtime)

    decision = await approvals.approve(runtime, draft_id=update.id, actor="cli:tester")
    result = await queues.wait_for(decision.workflow_id or "", timeout=30)
    assert result.status == DraftStatus.SENT
    new = [path for path in outbox(runtime) if path not in sent_before]
    assert len(new) == 1
    message = email.message_from_bytes(new[0].read_bytes(), policy=email.policy.default)
    assert message["In-Reply-To"] == followup.message_id
    assert followup.message_id in message["References"]

    after = {p.id: p for p in promises_of(runtime, call_id)}
    for promise in ours[:2]:
        assert after[promise.id].status == "kept" and after[promise.id].customer_told
        assert after[promise.id].changed_by == "cli:dana"
    assert all(p.status == "open" for p in after.values() if p.id not in {o.id for o in ours[:2]})

    # A promise kept once that update went out starts the next one, in the same thread.
    third = ours[2]
    change = change_task(runtime.engine, tasks[third.title].id, state="completed", actor="cli:dana")
    await wait_all(hand_updates_to_workers(runtime.settings, [c.item_id for c in change.promises]))
    drafts = update_drafts(runtime)
    assert len(drafts) == 2
    [second] = [d for d in drafts if d.id != update.id]
    assert second.status == DraftStatus.PENDING and second.in_reply_to == followup.message_id
    assert third.title.lower()[:30] in second.body.lower()
    assert ours[0].title.lower()[:30] not in second.body.lower()


async def test_dropped_and_customer_side_promises_email_nobody(runtime: Runtime) -> None:
    call_id = await processed_call_with_sent_followup(runtime)
    promises = promises_of(runtime, call_id)
    tasks = {task.title: task for task in list_tasks(runtime.engine)}
    ours = next(p for p in promises if p.side == "us")
    theirs = next(p for p in promises if p.side == "customer")

    dropped = change_task(runtime.engine, tasks[ours.title].id, state="canceled", actor="cli:dana")
    assert [(c.status, c.tell_customer) for c in dropped.promises] == [("dropped", False)]
    kept = change_task(runtime.engine, tasks[theirs.title].id, state="completed", actor="cli:dana")
    assert [(c.status, c.tell_customer) for c in kept.promises] == [("kept", False)]

    after = {p.id: p for p in promises_of(runtime, call_id)}
    assert after[ours.id].status == "dropped" and after[ours.id].changed_by == "cli:dana"
    assert after[ours.id].changed_at is not None
    assert after[theirs.id].status == "kept" and not after[theirs.id].customer_told
    assert update_drafts(runtime) == []


async def test_metrics_count_promises_open_kept_overdue_and_time_to_kept(runtime: Runtime) -> None:
    call_id = await processed_call_with_sent_followup(runtime)
    promises = promises_of(runtime, call_id)
    tasks = {task.title: task for task in list_tasks(runtime.engine)}
    ours = next(p for p in promises if p.side == "us")
    change_task(runtime.engine, tasks[ours.title].id, state="completed", actor="cli:dana")

    async for client in aclient(create_app(runtime.settings, runtime=runtime)):
        text = (await client.get("/metrics")).text
    samples = {
        sample.name + str(sorted(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
    assert samples["cs_agent_promises[('status', 'kept')]"] == 1
    assert samples["cs_agent_promises[('status', 'open')]"] == len(promises) - 1
    assert samples["cs_agent_promises[('status', 'dropped')]"] == 0
    assert samples["cs_agent_promises_overdue[]"] == sum(
        1 for p in promises if p.overdue and p.id != ours.id
    )
    assert samples["cs_agent_promise_time_to_kept_seconds_count[]"] == 1
    assert samples["cs_agent_promise_time_to_kept_seconds_bucket[('le', '+Inf')]"] == 1


async def test_with_no_followup_the_update_goes_to_the_customers_attendees(
    settings: Settings,
) -> None:
    # Under the `none` policy the call has no follow-up to reply to: the update still tells the
    # customer, addressed as the follow-up would have been (their side to, ours in copy).
    runtime = Runtime(settings.model_copy(update={"followup_policy": FollowUpPolicy.NONE}))
    await runtime.start()
    try:
        data, meta = example_call()
        call_id = await process(runtime, data, meta)
        with session_scope(runtime.engine) as session:
            assert repo.get_draft_for_call(session, call_id=call_id) is None
        ours = [p for p in promises_of(runtime, call_id) if p.side == "us"]
        task = {t.title: t for t in list_tasks(runtime.engine)}[ours[0].title]
        change = change_task(runtime.engine, task.identifier, state="completed", actor="cli:dana")
        await wait_all(
            hand_updates_to_workers(runtime.settings, [c.item_id for c in change.promises])
        )
        drafts = update_drafts(runtime)
    finally:
        await runtime.stop()
    customers = {a.email for a in meta.attendees if a.side == Side.CUSTOMER and a.email}
    colleagues = {a.email for a in meta.attendees if a.side == Side.US and a.email}
    assert len(drafts) == 1
    assert set(drafts[0].to) == customers and customers
    assert set(drafts[0].cc) == colleagues
    assert drafts[0].in_reply_to is None, "there is no follow-up to thread under"


async def test_an_internal_call_with_no_followup_tells_nobody(settings: Settings) -> None:
    runtime = Runtime(settings.model_copy(update={"followup_policy": FollowUpPolicy.NONE}))
    await runtime.start()
    try:
        data, meta = example_call()
        internal = meta.model_copy(
            update={"attendees": [a for a in meta.attendees if a.side == Side.US]}
        )
        call_id = await process(runtime, data, internal)
        ours = [p for p in promises_of(runtime, call_id) if p.side == "us"]
        assert ours
        task = {t.title: t for t in list_tasks(runtime.engine)}[ours[0].title]
        change = change_task(runtime.engine, task.identifier, state="completed", actor="cli:dana")
        await wait_all(
            hand_updates_to_workers(runtime.settings, [c.item_id for c in change.promises])
        )
        assert [p.status for p in promises_of(runtime, call_id) if p.id == ours[0].id] == ["kept"]
        assert update_drafts(runtime) == []
    finally:
        await runtime.stop()
