"""100 calls while Linear and Gmail fail 20% of requests: nothing lost, nothing done twice.

Faults are 429s with Retry-After, 500s and hangs cut off by the client's timeout. What exhausts
its retries ends visibly failed with its reason; retrying resumes it without redoing what was
done, until every call is through and every approved email sent exactly once.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from pathlib import Path

import pytest

from cs_agent.bootstrap.runtime import Runtime
from cs_agent.core.domain import Attendee, CallMetadata, Customer, Side
from cs_agent.core.transcripts import parse_transcript
from cs_agent.services import approvals, queues
from cs_agent.services.call_retry import retry_call
from cs_agent.services.intake import submit_call
from cs_agent.services.views import load_call_view
from storage import repo
from storage.db import session_scope

from ..conftest import EXAMPLES
from ..emulators.base import Fault
from ..emulators.linear import LinearEmulator
from ..mailers import SENDER, GmailSetup
from .cluster import running_cluster

CALLS = 100
RATE = 0.2
ROUNDS = 12
UNSETTLED = {"received", "analyzing", "filing"}


def linear_faults() -> list[Fault]:
    limited = {
        "errors": [{"message": "Rate limit exceeded", "extensions": {"code": "RATELIMITED"}}]
    }
    return [
        Fault(status=429, body=limited, headers={"Retry-After": "0.1"}),
        Fault(status=500, body={"errors": [{"message": "Internal server error"}]}),
        Fault(hang_seconds=3),
    ]


def gmail_faults() -> list[Fault]:
    def error(code: int, message: str) -> dict[str, object]:
        return {"error": {"code": code, "message": message, "errors": [{"message": message}]}}

    return [
        Fault(status=429, body=error(429, "Rate Limit Exceeded"), headers={"Retry-After": "0.1"}),
        Fault(status=500, body=error(500, "Backend Error")),
        Fault(hang_seconds=3),
    ]


async def settle(runtime: Runtime, call_ids: list[str], timeout: float = 240) -> dict[str, str]:
    """Wait until no call is still being processed; returns each call's status."""
    deadline = time.monotonic() + timeout
    while True:
        with session_scope(runtime.engine) as session:
            statuses = {cid: repo.get_call(session, call_id=cid).status for cid in call_ids}  # type: ignore[union-attr]
        if not UNSETTLED & set(statuses.values()):
            return statuses
        if time.monotonic() > deadline:
            raise AssertionError(f"calls still running: {Counter(statuses.values())}")
        await asyncio.sleep(0.5)


@pytest.fixture
def faulty_env(env: dict[str, str]) -> dict[str, str]:
    return {
        **env,
        "CS_AGENT_RETRY_ATTEMPTS": "3",
        "CS_AGENT_RETRY_INITIAL_DELAY": "0.05",
        "CS_AGENT_RETRY_MAX_DELAY": "0.2",
        "CS_AGENT_LINEAR_TIMEOUT_SECONDS": "2",
        "CS_AGENT_GMAIL_TIMEOUT_SECONDS": "2",
        "CS_AGENT_WORKER_CONCURRENCY": "8",
        "CS_AGENT_ANALYSIS_RETRY_DELAY": "0.1",
    }


async def test_a_fifth_of_requests_failing_loses_nothing_and_doubles_nothing(
    faulty_env: dict[str, str],
    api: Runtime,
    linear_emulator: LinearEmulator,
    gmail: GmailSetup,
    tmp_path: Path,
) -> None:
    linear_emulator.fail_randomly(RATE, linear_faults(), seed=7)
    gmail.emulator.fail_randomly(
        RATE, gmail_faults(), seed=11, when=lambda r: r.path.startswith("/gmail/")
    )
    transcript = parse_transcript((EXAMPLES / "initech-escalation.txt").read_bytes())

    with running_cluster(faulty_env, tmp_path / "logs", workers=2, api=False):
        call_ids = []
        for n in range(CALLS):
            meta = CallMetadata(
                title=f"Escalation {n}",
                customer=Customer(name=f"Customer {n:03d}", domain=f"c{n:03d}.example"),
                attendees=[
                    Attendee(name="Nora Pham", email=f"nora@c{n:03d}.example", side=Side.CUSTOMER)
                ],
                source_id=f"faults-{n}",
            )
            submission = await submit_call(api, transcript=transcript, metadata=meta, source="test")
            call_ids.append(submission.call_id)

        statuses = await settle(api, call_ids)
        first_pass_failed = [cid for cid, status in statuses.items() if status == "failed"]
        for cid in first_pass_failed:
            view = load_call_view(api, cid)
            assert view is not None
            assert view.failure_reason, "a failed call says why"
        # Retry what failed (the faults go on) until every call is through. The rounds are
        # bounded; on a loaded machine the faults' timeouts fail more attempts, so allow twelve.
        for _round in range(ROUNDS):
            failed = [cid for cid, status in statuses.items() if status == "failed"]
            if not failed:
                break
            for cid in failed:
                await retry_call(api, call_id=cid, actor="test:ops")
            statuses = await settle(api, call_ids)
        assert Counter(statuses.values()) == {"awaiting_approval": CALLS}

        # Approve every draft; a send that gives up is retried (same version, same Message-ID).
        views = {cid: load_call_view(api, cid) for cid in call_ids}
        for _round in range(ROUNDS):
            pending = []
            for cid in call_ids:
                view = load_call_view(api, cid)
                assert view is not None
                assert view.draft is not None
                draft = view.draft
                if draft.status == "failed":
                    retried = await approvals.retry(
                        api, draft_id=draft.id, actor="test:approver", version=draft.version
                    )
                    pending.append(retried.workflow_id or "")
                elif draft.status == "pending":
                    decision = await approvals.approve(
                        api, draft_id=draft.id, actor="test:approver"
                    )
                    pending.append(decision.workflow_id or "")
            if not pending:
                break
            await asyncio.gather(*(queues.wait_for(w, timeout=120) for w in pending))

    # Linear: every item of every call exactly once.
    issues = linear_emulator.issues()
    filed = [item.issue.id for v in views.values() if v for item in v.action_items if item.issue]
    assert len(filed) == sum(len(v.action_items) for v in views.values() if v)
    assert sorted(filed) == sorted(i["id"] for i in issues)
    # Gmail: one message per call, whatever timed out along the way.
    sent = gmail.emulator.sent(SENDER)
    subjects = Counter(m.header("Subject") for m in sent)
    assert len(sent) == CALLS
    assert all(count == 1 for count in subjects.values())
    for cid in call_ids:
        view = load_call_view(api, cid)
        assert view is not None
        assert view.draft is not None
        assert view.draft.status == "sent"
    # The faults did happen.
    assert len(linear_emulator.faulted) > 50
    assert len(gmail.emulator.faulted) > 5
