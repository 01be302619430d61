"""The whole flow on the embedded defaults: local task list, local approvals, .eml outbox."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
from pathlib import Path

import pytest

from cs_agent.bootstrap.runtime import Runtime
from cs_agent.core.domain import CallMetadata, DraftStatus
from cs_agent.core.transcripts import parse_transcript
from cs_agent.services import approvals, queues
from cs_agent.services.intake import IdempotencyConflict, submit_call
from cs_agent.services.views import load_call_view
from storage import repo
from storage.db import session_scope

from ..conftest import EXAMPLES

EXAMPLE = "acme-renewal"


def example_call(name: str = EXAMPLE) -> tuple[bytes, CallMetadata]:
    """An example transcript and its metadata."""
    transcript_path = next(
        p for p in EXAMPLES.glob(f"{name}.*") if ".meta" not in p.name and ".expected" not in p.name
    )
    meta = CallMetadata.model_validate(json.loads((EXAMPLES / f"{name}.meta.json").read_text()))
    return transcript_path.read_bytes(), meta


async def process(runtime: Runtime, data: bytes, meta: CallMetadata) -> str:
    submission = await submit_call(
        runtime, transcript=parse_transcript(data), metadata=meta, source="test"
    )
    await queues.wait_for(submission.workflow_id, timeout=60)
    return submission.call_id


def outbox_files(runtime: Runtime) -> list[Path]:
    return sorted(runtime.settings.outbox_dir.glob("*.eml"))


def local_tasks(runtime: Runtime) -> list[str]:
    with session_scope(runtime.engine) as session:
        return [row.title for row in repo.list_local_tasks(session)]


async def test_call_to_items_to_draft_to_one_email(runtime: Runtime) -> None:
    data, meta = example_call()
    call_id = await process(runtime, data, meta)

    view = load_call_view(runtime, call_id)
    assert view is not None
    assert view.status == "awaiting_approval"
    assert view.analyzer == "offline-rules"
    assert view.action_items, "the example call has commitments the rules must find"
    # Every item was filed, in the local task list, exactly once.
    assert sorted(local_tasks(runtime)) == sorted(i.title for i in view.action_items)
    assert all(i.issue and i.issue.identifier.startswith("LOCAL-") for i in view.action_items)
    assert view.draft is not None and view.draft.status == "pending"
    assert outbox_files(runtime) == [], "nothing is sent before a person approves"

    decision = await approvals.approve(runtime, draft_id=view.draft.id, actor="cli:tester")
    assert decision.changed and decision.workflow_id
    result = await queues.wait_for(decision.workflow_id, timeout=30)
    assert result.status == DraftStatus.SENT

    files = outbox_files(runtime)
    assert len(files) == 1
    message = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert message["Subject"] == view.draft.subject
    assert message["Message-ID"] == result.message_id
    assert message.get_content_type() == "multipart/alternative"
    parts = [part.get_content_type() for part in message.iter_parts()]  # type: ignore[attr-defined]
    assert parts == ["text/plain", "text/html"]
    for recipient in view.draft.to:
        assert recipient in message["To"]

    after = load_call_view(runtime, call_id)
    assert after is not None and after.draft is not None
    assert after.draft.status == "sent" and after.status == "completed"
    with session_scope(runtime.engine) as session:
        actions = [e.action for e in repo.list_audit(session, call_id=call_id)]
    assert actions[0] == "received"
    assert actions.count("issue_filed") == len(view.action_items)
    assert actions[-3:] == ["approval_requested", "approved", "email_sent"]


async def test_same_call_twice_is_processed_once(runtime: Runtime) -> None:
    data, meta = example_call()
    first = await process(runtime, data, meta)
    tasks_after_first = local_tasks(runtime)
    second = await process(runtime, data, meta)
    assert first == second
    assert local_tasks(runtime) == tasks_after_first


async def test_same_source_id_with_other_content_is_a_conflict(runtime: Runtime) -> None:
    data, meta = example_call()
    await process(runtime, data, meta)
    other = parse_transcript(b"Dana: We will ship the fix tomorrow.\n")
    with pytest.raises(IdempotencyConflict):
        await submit_call(runtime, transcript=other, metadata=meta, source="test")


async def test_approving_twice_or_concurrently_sends_one_email(runtime: Runtime) -> None:
    data, meta = example_call()
    call_id = await process(runtime, data, meta)
    view = load_call_view(runtime, call_id)
    assert view is not None and view.draft is not None

    decisions = await asyncio.gather(
        *(
            approvals.approve(runtime, draft_id=view.draft.id, actor=f"cli:user{n}")
            for n in range(10)
        )
    )
    assert sum(d.changed for d in decisions) == 1
    assert len({d.workflow_id for d in decisions}) == 1
    await queues.wait_for(decisions[0].workflow_id or "", timeout=30)
    again = await approvals.approve(runtime, draft_id=view.draft.id, actor="cli:late")
    assert not again.changed
    await queues.wait_for(again.workflow_id or "", timeout=30)
    assert len(outbox_files(runtime)) == 1
    with session_scope(runtime.engine) as session:
        actions = [e.action for e in repo.list_audit(session, call_id=call_id)]
    assert actions.count("approved") == 1 and actions.count("email_sent") == 1


async def test_rejected_draft_is_never_sent(runtime: Runtime) -> None:
    data, meta = example_call()
    call_id = await process(runtime, data, meta)
    view = load_call_view(runtime, call_id)
    assert view is not None and view.draft is not None
    await approvals.reject(runtime, draft_id=view.draft.id, actor="cli:a", reason="wrong tone")
    with pytest.raises(approvals.DecisionRefused, match="rejected"):
        await approvals.approve(runtime, draft_id=view.draft.id, actor="cli:b")
    assert outbox_files(runtime) == []


async def test_edited_draft_is_what_gets_sent(runtime: Runtime) -> None:
    data, meta = example_call()
    call_id = await process(runtime, data, meta)
    view = load_call_view(runtime, call_id)
    assert view is not None and view.draft is not None
    draft = view.draft
    await approvals.edit(
        runtime,
        draft_id=draft.id,
        actor="cli:editor",
        expected_version=draft.version,
        subject="Edited: next steps",
        body="Hi all,\n\nThe **edited** recap.\n",
        to=draft.to or ["buyer@acmefreight.example"],
        cc=[],
    )
    with pytest.raises(approvals.DecisionRefused, match="edited"):
        await approvals.approve(runtime, draft_id=draft.id, actor="cli:x", version=draft.version)
    decision = await approvals.approve(runtime, draft_id=draft.id, actor="cli:x", version=2)
    await queues.wait_for(decision.workflow_id or "", timeout=30)
    (only,) = outbox_files(runtime)
    message = email.message_from_bytes(only.read_bytes(), policy=email.policy.default)
    assert message["Subject"] == "Edited: next steps"
    plain = message.get_body(preferencelist=("plain",))
    assert plain is not None and "The edited recap." in plain.get_content()
    html = message.get_body(preferencelist=("html",))
    assert html is not None and "<strong>edited</strong>" in html.get_content()


async def test_the_local_list_keeps_the_customer_its_needs_and_the_call_links(
    runtime: Runtime,
) -> None:
    data, meta = example_call()
    call_id = await process(runtime, data, meta)
    with session_scope(runtime.engine) as session:
        [customer] = repo.list_local_customers(session)
        tasks = repo.list_local_tasks(session)
        needs = repo.list_local_needs(session, customer_id=customer.id)
        links = [
            link for task in tasks for link in repo.list_local_task_links(session, task_id=task.id)
        ]
    assert (customer.name, customer.domains) == ("Acme Freight", ["acmefreight.example"])
    assert tasks and sorted(need.task_id for need in needs) == sorted(task.id for task in tasks)
    assert sorted(link.task_id for link in links) == sorted(task.id for task in tasks)
    assert {link.url for link in links} == {f"http://127.0.0.1:8000/inbox/calls/{call_id}"}
