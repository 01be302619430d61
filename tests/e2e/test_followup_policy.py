"""Follow-up policies end to end on the local adapters: approval as before, none, overrides
per customer, "no follow-up needed" from the offline rule, and "draft one anyway"."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from cs_agent.bootstrap.runtime import Runtime
from cs_agent.config import Settings
from cs_agent.core.domain import CallMetadata
from cs_agent.core.followup import FollowUpPolicy
from cs_agent.core.transcripts import parse_transcript
from cs_agent.services import queues
from cs_agent.services.draft_anyway import request_draft_anyway
from cs_agent.services.intake import submit_call
from cs_agent.services.views import load_call_view
from storage import repo
from storage.db import session_scope

from ..conftest import EXAMPLES
from .followup_calls import INTERNAL_VTT, internal_call, internal_meta
from .test_cli import cs_agent


@asynccontextmanager
async def started(settings: Settings, **changes: Any) -> AsyncIterator[Runtime]:
    runtime = Runtime(settings.model_copy(update=changes))
    await runtime.start()
    try:
        yield runtime
    finally:
        await runtime.stop()


def acme() -> tuple[bytes, CallMetadata]:
    meta = json.loads((EXAMPLES / "acme-renewal.meta.json").read_text())
    return (EXAMPLES / "acme-renewal.vtt").read_bytes(), CallMetadata.model_validate(meta)


async def process(runtime: Runtime, data: bytes, meta: CallMetadata) -> str:
    submission = await submit_call(
        runtime, transcript=parse_transcript(data), metadata=meta, source="test"
    )
    await queues.wait_for(submission.workflow_id, timeout=60)
    return submission.call_id


def outbox(runtime: Runtime) -> list[Path]:
    return sorted(runtime.settings.outbox_dir.glob("*.eml"))


def drafts(runtime: Runtime) -> int:
    with session_scope(runtime.engine) as session:
        return len(repo.list_drafts(session))


def audit_actions(runtime: Runtime, call_id: str) -> list[str]:
    with session_scope(runtime.engine) as session:
        return [event.action for event in repo.list_audit(session, call_id=call_id)]


async def test_approval_is_the_default_and_says_so(settings: Settings) -> None:
    async with started(settings) as runtime:
        call_id = await process(runtime, *acme())
        view = load_call_view(runtime, call_id)
    assert view is not None and view.draft is not None
    assert view.draft.status == "pending"
    assert view.policy is not None
    assert (view.policy.name, view.policy.source) == (FollowUpPolicy.APPROVAL, "default")
    assert view.no_followup_reason is None


async def test_policy_none_files_items_and_drafts_nothing(settings: Settings) -> None:
    async with started(settings, followup_policy=FollowUpPolicy.NONE) as runtime:
        call_id = await process(runtime, *acme())
        view = load_call_view(runtime, call_id)
        assert view is not None
        assert view.status == "completed"
        assert view.draft is None
        assert view.action_items and all(item.issue for item in view.action_items)
        assert drafts(runtime) == 0 and outbox(runtime) == []
        assert "no_draft" in audit_actions(runtime, call_id)
        # "Draft anyway" is for calls the analysis judged; a policy of none is not overridden.
        refused = await request_draft_anyway(runtime, call_id, actor="cli:dana")
        assert not refused.started and "none" in refused.detail
        assert drafts(runtime) == 0


async def test_override_by_domain_beats_the_setting(settings: Settings) -> None:
    overrides = {"acmefreight.example": FollowUpPolicy.NONE, "globex": FollowUpPolicy.APPROVAL}
    async with started(
        settings, followup_policy=FollowUpPolicy.APPROVAL, followup_policy_overrides=overrides
    ) as runtime:
        call_id = await process(runtime, *acme())
        view = load_call_view(runtime, call_id)
    assert view is not None and view.policy is not None
    assert view.policy.name == FollowUpPolicy.NONE
    assert view.policy.source == "override domain acmefreight.example"
    assert view.draft is None


async def test_override_by_name_applies_and_others_keep_the_default(settings: Settings) -> None:
    async with started(
        settings,
        followup_policy=FollowUpPolicy.NONE,
        followup_policy_overrides={"acme freight": FollowUpPolicy.APPROVAL},
    ) as runtime:
        data, meta = acme()
        call_id = await process(runtime, data, meta)
        other = meta.model_copy(deep=True)
        assert other.customer is not None
        other.customer.name, other.customer.domain, other.source_id = "Initech", None, "other"
        other_id = await process(runtime, data, other)
        view, other_view = load_call_view(runtime, call_id), load_call_view(runtime, other_id)
    assert view is not None and view.policy is not None and view.draft is not None
    assert view.policy.source == "override name Acme Freight"
    assert other_view is not None and other_view.policy is not None
    assert other_view.draft is None
    assert other_view.policy.name == FollowUpPolicy.NONE


async def test_internal_call_needs_no_followup_until_someone_asks(settings: Settings) -> None:
    async with started(settings) as runtime:
        call_id = await process(runtime, *internal_call())
        view = load_call_view(runtime, call_id)
        assert view is not None
        assert view.draft is None
        assert view.no_followup_reason is not None
        assert "customer" in view.no_followup_reason
        assert view.action_items  # items are still filed
        assert drafts(runtime) == 0

        clicks = await asyncio.gather(
            *(request_draft_anyway(runtime, call_id, actor=f"cli:p{n}") for n in range(5))
        )
        assert sum(click.started for click in clicks) == 1
        workflow_id = next(click.workflow_id for click in clicks if click.started)
        assert workflow_id is not None
        await queues.wait_for(workflow_id, timeout=60)
        again = await request_draft_anyway(runtime, call_id, actor="cli:late")
        assert not again.started and "already asked for" in again.detail
        view = load_call_view(runtime, call_id)
        assert view is not None and view.draft is not None
        assert view.draft.status == "pending"  # it waits for approval like any other
        assert drafts(runtime) == 1 and outbox(runtime) == []
        assert audit_actions(runtime, call_id).count("draft_anyway") == 1


async def test_nothing_agreed_needs_no_followup(settings: Settings) -> None:
    transcript = b"WEBVTT\n\n00:00:01.000 --> 00:00:04.000\n<v Priya Natarajan>Hi all, thanks.\n\n00:00:05.000 --> 00:00:08.000\n<v Dana Reyes>Good to see you, bye.\n"
    _, meta = acme()
    meta.source_id = "small-talk"
    async with started(settings) as runtime:
        call_id = await process(runtime, transcript, meta)
        view = load_call_view(runtime, call_id)
    assert view is not None and view.draft is None
    assert view.no_followup_reason is not None and "agreed" in view.no_followup_reason


def test_cli_json_shows_the_policy_and_none_keeps_the_outbox_empty(
    isolated_environment: Path, monkeypatch: Any
) -> None:
    args = (
        "process",
        str(EXAMPLES / "acme-renewal.vtt"),
        "--metadata",
        str(EXAMPLES / "acme-renewal.meta.json"),
        "--json",
    )
    monkeypatch.setenv("CS_AGENT_FOLLOWUP_POLICY", "none")
    result = cs_agent(*args)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["policy"] == {"name": "none", "source": "CS_AGENT_FOLLOWUP_POLICY"}
    assert data["draft"] is None
    assert data["action_items"]
    assert list((isolated_environment / "outbox").glob("*.eml")) == []


def test_cli_json_says_why_no_followup_was_needed(
    isolated_environment: Path, tmp_path: Path
) -> None:
    meta_file = tmp_path / "internal.meta.json"
    meta_file.write_text(json.dumps(internal_meta()))
    transcript = tmp_path / "internal.vtt"
    transcript.write_bytes(INTERNAL_VTT)
    result = cs_agent("process", str(transcript), "--metadata", str(meta_file), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["draft"] is None
    assert "customer" in data["no_followup_reason"]
    assert data["policy"] == {"name": "approval", "source": "default"}

    anyway = cs_agent("drafts", "anyway", data["call_id"])
    assert anyway.returncode == 0, anyway.stderr
    assert "Drafted draft-" in anyway.stdout


async def test_draft_anyway_under_gmail_draft_without_gmail_fails_leaving_no_draft(
    settings: Settings,
) -> None:
    async with started(settings, followup_policy=FollowUpPolicy.GMAIL_DRAFT) as runtime:
        call_id = await process(runtime, *internal_call())
        asked = await request_draft_anyway(runtime, call_id, actor="cli:dana")
        assert asked.started and asked.workflow_id is not None
        with pytest.raises(Exception, match="needs Gmail"):
            await queues.wait_for(asked.workflow_id, timeout=60)
        view = load_call_view(runtime, call_id)
        assert view is not None and view.status == "failed"
        assert "CS_AGENT_GMAIL_CREDENTIALS" in (view.failure_reason or "")
        assert view.draft is None and drafts(runtime) == 0 and outbox(runtime) == []
