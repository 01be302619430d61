"""The agent's "no follow-up needed" tool: it must name why, and a customer-side commitment
refuses it; and the offline rule that plays the same part."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cs_agent.analyzers.claude.checks import ToolRejection
from cs_agent.analyzers.claude.no_followup import fallback_email, record_no_followup
from cs_agent.analyzers.claude.state import AnalysisState
from cs_agent.analyzers.no_followup import (
    INTERNAL_CALL,
    NOTHING_AGREED,
    offline_no_followup_reason,
)
from cs_agent.core.domain import (
    ActionItem,
    Attendee,
    CallAnalysis,
    CallMetadata,
    CallSummary,
    EmailDraft,
    Owner,
    Side,
    Transcript,
    TranscriptFormat,
    Utterance,
)

from ...emulators.scripted_calls import example, item_input


def state_for(name: str = "initech-escalation") -> AnalysisState:
    call = example(name)
    return AnalysisState(transcript=call.transcript, metadata=call.metadata)


@pytest.mark.parametrize("reason", ["", "   ", "internal", "no recap needed"])
def test_a_reason_that_names_nothing_is_refused(reason: str) -> None:
    state = state_for()
    with pytest.raises(ToolRejection, match="must name why"):
        record_no_followup(state, {"reason": reason})
    assert state.no_followup_reason is None


def test_a_customer_side_commitment_refuses_it() -> None:
    call = example("initech-escalation")
    state = state_for()
    customer_item = next(i for i in call.expected if i["side"] == "customer")
    state.record_item(item_input(customer_item, call.transcript))
    with pytest.raises(ToolRejection, match="committed to something"):
        record_no_followup(state, {"reason": "Nothing on this call needs an email."})
    assert state.no_followup_reason is None


def test_the_reason_replaces_a_draft_and_a_later_draft_replaces_the_reason() -> None:
    call = example("initech-escalation")
    state = state_for()
    state.email = EmailDraft(subject="s", body="b")
    reason = "An internal sync: nobody from the customer was on the call."
    assert "Recorded" in record_no_followup(state, {"reason": f"  {reason} "})
    assert (state.no_followup_reason, state.email) == (reason, None)
    customers = [a.email for a in call.metadata.attendees if a.side == Side.CUSTOMER and a.email]
    state.draft_email({"subject": "Next steps", "body": "Hi", "to": customers})
    assert state.no_followup_reason is None and state.email is not None


def test_the_recap_kept_for_draft_anyway_lists_the_items_to_the_customer() -> None:
    call = example("initech-escalation")
    state = state_for()
    ours = [i for i in call.expected if i["side"] == "us"]
    for item in ours:
        state.record_item(item_input(item, call.transcript))
    state.summary = CallSummary(text="A short call.")
    email = fallback_email(state, company="Brightwave")
    assert email.subject.startswith("Follow-up: ")
    assert all(item["title"] in email.body for item in ours)
    assert email.body.rstrip().endswith("Brightwave")
    assert set(email.to) == {
        a.email for a in call.metadata.attendees if a.side == Side.CUSTOMER and a.email
    }


def analysis(items: list[ActionItem]) -> CallAnalysis:
    return CallAnalysis(
        analyzer="offline-rules",
        summary=CallSummary(text="x"),
        action_items=items,
        email=EmailDraft(subject="s", body="b"),
    )


def item(side: Side | None) -> ActionItem:
    return ActionItem(title="Send the report", quote="q", owner=Owner(name="A", side=side))


def test_offline_rule_internal_call_nothing_agreed_and_a_real_call() -> None:
    ours = CallMetadata(attendees=[Attendee(name="Dana", side=Side.US)])
    both = CallMetadata(
        attendees=[Attendee(name="Dana", side=Side.US), Attendee(name="Priya", side=Side.CUSTOMER)]
    )
    unknown = CallMetadata(attendees=[Attendee(name="Dana")])
    assert offline_no_followup_reason(analysis([item(Side.US)]), ours) == INTERNAL_CALL
    assert offline_no_followup_reason(analysis([item(Side.CUSTOMER)]), ours) is None
    assert offline_no_followup_reason(analysis([]), both) == NOTHING_AGREED
    assert offline_no_followup_reason(analysis([item(Side.US)]), both) is None
    assert offline_no_followup_reason(analysis([item(Side.US)]), unknown) is None
    # Nothing agreed, but a question asked: worth a reply.
    asked = Transcript(
        format=TranscriptFormat.TEXT,
        utterances=[Utterance(speaker="Priya", text="Can you check the invoice?")],
    )
    small_talk = Transcript(
        format=TranscriptFormat.TEXT, utterances=[Utterance(speaker="Priya", text="Thanks, bye.")]
    )
    assert offline_no_followup_reason(analysis([]), both, asked) is None
    assert offline_no_followup_reason(analysis([]), both, small_talk) == NOTHING_AGREED


@settings(deadline=None)  # no test asserts time; a loaded machine is slow
@given(st.text(max_size=300))
def test_any_reason_text_is_kept_bounded_or_refused(text: str) -> None:
    state = state_for()
    try:
        record_no_followup(state, {"reason": text})
    except ToolRejection:
        assert state.no_followup_reason is None
        return
    assert state.no_followup_reason is not None
    assert len(state.no_followup_reason) <= 500 and len(state.no_followup_reason.split()) >= 4


def test_a_speaker_the_metadata_does_not_list_is_not_taken_for_our_side() -> None:
    # What a Zoom event gives: only the host is listed; the customer spoke all the same.
    host = CallMetadata(attendees=[Attendee(name="dana@ours.example", side=Side.US)])
    ours = CallMetadata(attendees=[Attendee(name="Dana Reyes", side=Side.US)])
    spoken = Transcript(
        format=TranscriptFormat.TEXT,
        utterances=[
            Utterance(speaker="Dana", text="I will send the plan."),
            Utterance(speaker="Priya", text="Thanks."),
        ],
    )
    alone = Transcript(
        format=TranscriptFormat.TEXT, utterances=[Utterance(speaker="Dana", text="Noted.")]
    )
    assert offline_no_followup_reason(analysis([item(Side.US)]), host, spoken) is None
    assert offline_no_followup_reason(analysis([item(Side.US)]), ours, spoken) is None
    assert offline_no_followup_reason(analysis([item(Side.US)]), ours, alone) == INTERNAL_CALL
