"""Shared steps of the promise tests: a processed example call, and waiting for workflows."""

from __future__ import annotations

import asyncio
from pathlib import Path

from cs_agent.bootstrap.runtime import Runtime
from cs_agent.core.domain import DraftStatus
from cs_agent.services import approvals, queues
from cs_agent.services.promise_views import PromiseView, list_promises
from storage import repo
from storage.db import session_scope
from storage.models import DraftRow

from .test_local_flow import example_call, process


async def processed_call_with_sent_followup(runtime: Runtime) -> str:
    """The Acme example processed, its follow-up approved and sent. Returns the call id."""
    data, meta = example_call()
    call_id = await process(runtime, data, meta)
    with session_scope(runtime.engine) as session:
        draft = repo.get_draft_for_call(session, call_id=call_id)
        assert draft is not None
        draft_id = draft.id
    decision = await approvals.approve(runtime, draft_id=draft_id, actor="cli:tester")
    result = await queues.wait_for(decision.workflow_id or "", timeout=30)
    assert result.status == DraftStatus.SENT
    return call_id


def promises_of(runtime: Runtime, call_id: str) -> list[PromiseView]:
    return list_promises(runtime.engine, call_id=call_id)


def update_drafts(runtime: Runtime) -> list[DraftRow]:
    with session_scope(runtime.engine) as session:
        return [row for row in repo.list_drafts(session) if row.kind == "update"]


async def wait_all(workflow_ids: list[str]) -> None:
    await asyncio.gather(*(queues.wait_for(w, timeout=30) for w in workflow_ids))


def outbox(runtime: Runtime) -> list[Path]:
    return sorted(runtime.settings.outbox_dir.glob("*.eml"))
