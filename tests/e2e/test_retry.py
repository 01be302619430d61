"""A call that fails for good is visible as failed, and a retry resumes it at the failed step."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from cs_agent.bootstrap.runtime import Runtime
from cs_agent.config import Settings
from cs_agent.services import queues
from cs_agent.services.call_retry import RetryRefused, retry_call
from cs_agent.services.views import load_call_view
from storage import repo
from storage.db import session_scope

from ..conftest import REPO_ROOT
from ..emulators.base import Fault, RecordedRequest
from ..emulators.linear import LinearEmulator, operation_is
from .test_local_flow import example_call


async def test_failed_call_is_listed_and_retry_resumes_without_redoing_steps(
    linear_settings: Settings, linear_emulator: LinearEmulator
) -> None:
    settings = linear_settings.model_copy(
        update={"retry_attempts": 3, "retry_initial_delay": 0.01, "retry_max_delay": 0.05}
    )
    data, meta = example_call()
    runtime = Runtime(settings)
    await runtime.start()
    try:
        # Linear files two issues, then answers 503 to every create: the third item fails for good.
        outage = Fault(status=503, body={"errors": [{"message": "upstream unavailable"}]})
        creates = operation_is("CreateIssue")

        def after_two(request: RecordedRequest) -> bool:
            return creates(request) and len(linear_emulator.issues()) >= 2

        linear_emulator.fail_next(100, outage, when=after_two)
        from cs_agent.core.transcripts import parse_transcript
        from cs_agent.services.intake import submit_call

        submission = await submit_call(
            runtime, transcript=parse_transcript(data), metadata=meta, source="test"
        )
        with pytest.raises(Exception, match="unavailable"):
            await queues.wait_for(submission.workflow_id, timeout=60)
        call_id = submission.call_id
        view = load_call_view(runtime, call_id)
        assert view is not None
        assert view.status == "failed"
        assert view.failure_reason
        assert "linear" in view.failure_reason.lower()
        assert view.draft is None, "nothing after the failed step happened"
        assert len(linear_emulator.issues()) == 2
        items = len(view.action_items)
        assert items > 3

        # The failure shows in `cs-agent calls list --failed` (a separate process, like a person).
        listing = subprocess.run(
            [sys.executable, "-m", "cs_agent", "calls", "list", "--failed"],
            cwd=REPO_ROOT,
            env={**os.environ, "COLUMNS": "300"},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert listing.returncode == 0, listing.stderr
        assert call_id in listing.stdout
        assert "cs-agent calls retry" in listing.stdout

        # Linear is back. Retry resumes at the failed filing step.
        linear_emulator.clear_faults()
        creates_before = len(linear_emulator.calls("CreateIssue"))
        workflow_id = await retry_call(runtime, call_id=call_id, actor="cli:ops")
        with pytest.raises(RetryRefused):
            await retry_call(runtime, call_id=call_id, actor="cli:ops")
        await queues.wait_for(workflow_id, timeout=60)

        after = load_call_view(runtime, call_id)
        assert after is not None
        assert after.status == "awaiting_approval"
        assert after.draft is not None
        issues = linear_emulator.issues()
        assert len(issues) == items
        assert len({i["title"] for i in issues}) == items
        # Only the items not yet filed were sent again: the two filed before the outage weren't.
        assert len(linear_emulator.calls("CreateIssue")) - creates_before == items - 2
        with session_scope(runtime.engine) as session:
            audit = [e.action for e in repo.list_audit(session, call_id=call_id)]
        assert audit.count("analyzed") == 1, "the analysis was not run again"
        assert audit.count("issue_filed") == items
        assert "retried" in audit
    finally:
        await runtime.stop()
