"""The ApprovalChannel contract: every adapter (local, Slack) passes the same suite.

Each case runs a real call through ``process_call`` on a runtime wired with the adapter, then
drives the adapter directly the way the workflows and approvals do.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from cs_agent.bootstrap.runtime import Runtime
from cs_agent.config import Settings
from cs_agent.core.domain import ActionItem, ApprovalRequest, DraftStatus, IssueRef, Owner
from cs_agent.core.ports import ApprovalChannel, ApprovalOutcome
from cs_agent.services import approval_requests
from storage import repo
from storage.db import session_scope

from ..emulators.slack import SlackEmulator
from ..slack_env import CHANNEL, process_example, slack_emulator, slack_settings


@dataclass
class Harness:
    """An adapter under test, and how to see what it showed."""

    runtime: Runtime
    shown: Callable[[str], int]
    """How many approval requests for a draft id a person can see."""

    @property
    def channel(self) -> ApprovalChannel:
        return self.runtime.adapters.approvals


@pytest.fixture(params=["local", "slack"])
def adapter_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def slack() -> Iterator[SlackEmulator]:
    with slack_emulator() as emulator:
        yield emulator  # type: ignore[misc]


@pytest.fixture
async def harness(
    adapter_kind: str, isolated_environment: Path, slack: SlackEmulator
) -> AsyncIterator[Harness]:
    if adapter_kind == "slack":
        settings = slack_settings(isolated_environment, slack)
    else:
        settings = Settings(_env_file=None, data_dir=isolated_environment)  # type: ignore[call-arg]
    runtime = Runtime(settings)
    await runtime.start()

    def shown_in_slack(draft_id: str) -> int:
        return sum(
            1
            for m in slack.top_level(CHANNEL)
            if (m.get("metadata") or {}).get("event_payload", {}).get("draft_id") == draft_id
        )

    def shown_locally(draft_id: str) -> int:
        with session_scope(runtime.engine) as session:
            return 1 if repo.get_draft(session, draft_id=draft_id) is not None else 0

    try:
        yield Harness(
            runtime=runtime, shown=shown_in_slack if adapter_kind == "slack" else shown_locally
        )
    finally:
        await runtime.stop()


def request_for(harness: Harness, draft_id: str) -> ApprovalRequest:
    return approval_requests.load_approval_request(harness.runtime, draft_id)


async def test_the_adapter_names_itself_and_says_where_the_request_lives(
    harness: Harness,
) -> None:
    _call_id, draft_id = await process_example(harness.runtime)
    request = request_for(harness, draft_id)
    ref = request.draft.approval_ref
    assert isinstance(harness.channel.name, str) and harness.channel.name
    assert ref and all(isinstance(k, str) and isinstance(v, str) for k, v in ref.items())
    assert ref["channel"] == harness.channel.name
    assert harness.shown(draft_id) == 1


async def test_requesting_again_updates_the_request_instead_of_repeating_it(
    harness: Harness,
) -> None:
    _call_id, draft_id = await process_example(harness.runtime)
    request = request_for(harness, draft_id)
    first = request.draft.approval_ref
    again = await harness.channel.request_approval(request)
    assert again == first
    assert harness.shown(draft_id) == 1


async def test_a_request_whose_ref_was_lost_in_a_crash_is_not_shown_twice(
    harness: Harness,
) -> None:
    """A crash between posting and storing the ref re-runs the step with no ref."""
    _call_id, draft_id = await process_example(harness.runtime)
    request = request_for(harness, draft_id)
    stored = request.draft.approval_ref
    lost = request.model_copy(
        update={"draft": request.draft.model_copy(update={"approval_ref": {}})}
    )
    assert await harness.channel.request_approval(lost) == stored
    assert harness.shown(draft_id) == 1


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (DraftStatus.APPROVED, ApprovalOutcome(status="approved", actor="slack:U0APPROVER1")),
        (DraftStatus.SENT, ApprovalOutcome(status="sent", location="outbox/x.eml")),
        (DraftStatus.REJECTED, ApprovalOutcome(status="rejected", actor="cli:dana", detail="no")),
        (DraftStatus.FAILED, ApprovalOutcome(status="failed", detail="550 mailbox unavailable")),
    ],
    ids=lambda v: v.value if isinstance(v, DraftStatus) else "",
)
async def test_every_outcome_can_be_shown(
    harness: Harness, status: DraftStatus, outcome: ApprovalOutcome
) -> None:
    _call_id, draft_id = await process_example(harness.runtime)
    with session_scope(harness.runtime.engine) as session:
        repo.transition_draft(
            session,
            draft_id=draft_id,
            from_statuses=[DraftStatus.PENDING],
            to_status=status,
            decided_by=outcome.actor,
            decided_at=dt.datetime.now(dt.UTC),
            failure_reason=outcome.detail if status == DraftStatus.FAILED else None,
            reject_reason=outcome.detail if status == DraftStatus.REJECTED else None,
        )
    draft = request_for(harness, draft_id).draft
    await harness.channel.show_outcome(draft, outcome)
    await harness.channel.show_outcome(draft, outcome)  # shown twice (a retried step): harmless
    assert harness.shown(draft_id) == 1


async def test_a_call_with_25_items_long_text_and_markup_is_still_one_valid_request(
    harness: Harness,
) -> None:
    _call_id, draft_id = await process_example(harness.runtime)
    request = request_for(harness, draft_id)
    items = [
        ActionItem(
            title=f"Item {n}: <!channel> follow up on *everything* & more " + "detail " * 30,
            owner=Owner(name="Dana <script>"),
            due_date=dt.date(2026, 12, 1),
            quote="we will",
        )
        for n in range(25)
    ]
    issues = [
        IssueRef(
            tracker="linear",
            id=f"id-{n}",
            identifier=f"CS-{n}",
            title=f"Item {n}",
            url=f"https://linear.app/acme/issue/CS-{n}",
            existing=n % 5 == 0,
        )
        for n in range(25)
    ]
    big = request.model_copy(
        update={
            "action_items": items,
            "issues": issues,
            "draft": request.draft.model_copy(
                update={
                    "body": "Para one. " * 400 + "\n\n" + "<@U0EVIL> " * 500,
                    "approval_ref": {},
                }
            ),
        }
    )
    ref = await harness.channel.request_approval(big)
    assert ref["channel"] == harness.channel.name
    assert harness.shown(draft_id) == 1


async def test_a_reminder_adds_no_second_request(harness: Harness, slack: SlackEmulator) -> None:
    _call_id, draft_id = await process_example(harness.runtime)
    request = request_for(harness, draft_id)
    await harness.channel.remind(request, waited=dt.timedelta(hours=26))
    assert harness.shown(draft_id) == 1
    if harness.channel.name == "slack":
        ref = request.draft.approval_ref
        (reply,) = slack.replies(CHANNEL, ref["ts"])
        assert "has waited 26 hours for a decision" in reply["text"]
        assert "<@U0APPROVER1>" in str(reply["blocks"]), "the people who decide are mentioned"
