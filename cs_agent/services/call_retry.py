"""Retrying a failed call from the step that failed, without redoing the steps that finished.

A call fails when a step gives up (a service stayed down past its retry budget, a key was
wrong). Once the cause is fixed, ``retry_call`` forks the call's workflow at the failed step:
DBOS copies the checkpoints of every earlier step into the new workflow, so the analysis is not
run (or paid for) again and issues already filed are not filed again.
"""

from __future__ import annotations

from dbos import DBOS, SetWorkflowID
from sqlalchemy import update
from sqlmodel import col

from cs_agent.core import ids
from cs_agent.core.domain import CallStatus
from cs_agent.services import queues
from cs_agent.services.context import ServiceContext
from storage import repo
from storage.db import session_scope
from storage.models import CallRow, utcnow


class RetryRefused(Exception):
    """The call cannot be retried (unknown, or not failed); the message says why."""


async def failed_step(workflow_id: str) -> tuple[int, str]:
    """The id and name of the step where a workflow failed (the first step with an error)."""
    # load_output: without it DBOS leaves out the errors too.
    steps = await DBOS.list_workflow_steps_async(workflow_id, load_output=True)
    for step in steps:
        if step["error"] is not None and step["function_name"] != "mark_call_failed":
            return step["function_id"], step["function_name"]
    # No step recorded an error: the workflow failed between steps. Start over; every step
    # is idempotent, and finished ones are skipped by their own checks.
    return 0, "start"


def next_retry_id(base: str, current: str) -> str:
    """``<base>:retry-1`` after the first workflow, ``:retry-2`` after that, and so on."""
    _, marker, number = current.rpartition(":retry-")
    attempt = int(number) + 1 if marker and number.isdigit() else 1
    return f"{base}:retry-{attempt}"


async def retry_call(ctx: ServiceContext, *, call_id: str, actor: str) -> str:
    """Resume a failed call from its failed step. Returns the new workflow id.

    Of two people retrying at once, one wins; the other gets ``RetryRefused``.
    """
    with session_scope(ctx.engine) as session:
        call = repo.get_call(session, call_id=call_id)
        if call is None:
            raise RetryRefused(f"no call {call_id}")
        if call.status != CallStatus.FAILED:
            raise RetryRefused(f"call {call_id} is {call.status}, not failed; nothing to retry")
        if call.transcript is None and call.transcript_text is None:
            raise RetryRefused(
                f"call {call_id} failed before its transcript arrived ({call.failure_reason}); "
                "send the transcript again (POST /v1/transcripts or `cs-agent process`)"
            )
        old_workflow_id = call.workflow_id
    start_step, step_name = await failed_step(old_workflow_id)
    new_workflow_id = next_retry_id(ids.process_call_workflow_id(call_id), old_workflow_id)
    with session_scope(ctx.engine) as session:
        claimed = session.execute(
            update(CallRow)
            .where(col(CallRow.id) == call_id)
            .where(col(CallRow.status) == CallStatus.FAILED.value)
            .where(col(CallRow.workflow_id) == old_workflow_id)
            .values(
                status=CallStatus.RECEIVED.value,
                failure_reason=None,
                workflow_id=new_workflow_id,
                updated_at=utcnow(),
            )
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            raise RetryRefused(f"call {call_id} is already being retried")
        repo.add_audit(
            session,
            actor=actor,
            action="retried",
            call_id=call_id,
            detail={"from_step": step_name, "workflow_id": new_workflow_id},
        )
    with SetWorkflowID(new_workflow_id):
        await DBOS.fork_workflow_async(old_workflow_id, start_step, queue_name=queues.CALLS_QUEUE)
    return new_workflow_id
