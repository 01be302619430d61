"""What Slack shows of follow-up policies: a draft in Gmail (no buttons, the link, who it goes
to), the no-draft notice with Draft one anyway, and hostile text escaped in both."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from cs_agent.core.domain import (
    ActionItem,
    CallSummary,
    Customer,
    DraftStatus,
    FollowUpNotice,
)
from cs_agent.core.followup import FollowUpPolicy, PolicyChoice
from cs_agent.core.slack_ids import DRAFT_ANYWAY
from integrations.slack.blocks import approval_message
from integrations.slack.policy_blocks import notice_message

from ...slack_env import a_request, actions_of, texts_of

GMAIL = PolicyChoice(name=FollowUpPolicy.GMAIL_DRAFT, source="override domain acme.example")
APPROVAL = PolicyChoice(name=FollowUpPolicy.APPROVAL, source="default")


def notice(**fields: object) -> FollowUpNotice:
    values: dict[str, object] = {
        "call_id": "call-1",
        "call_title": "Weekly sync",
        "call_date": dt.date(2026, 11, 10),
        "customer": Customer(name="Acme", domain="acme.example"),
        "summary": CallSummary(text="Internal planning."),
        "action_items": [ActionItem(title="Update the plan", quote="q")],
        "issues": [None],
        "analyzer": "offline-rules",
        "policy": APPROVAL,
        "no_followup_reason": "nobody from the customer's side was on the call",
        **fields,
    }
    return FollowUpNotice.model_validate(values)


def test_a_draft_in_gmail_has_no_buttons_but_the_link_and_the_recipients() -> None:
    request = a_request(
        status=DraftStatus.IN_GMAIL,
        gmail_draft_id="r1",
        mailbox_url="https://mail.google.com/mail/u/dana%40ours.example/#drafts?compose=18c",
    ).model_copy(update={"policy": GMAIL})
    text, blocks = approval_message(request)
    message = {"blocks": blocks}
    assert actions_of(message) == []
    shown = texts_of(message)
    assert "Draft in Gmail" in shown and "Open in Gmail>" in shown
    assert "priya@acmefreight.example" in shown and "Went well." in shown
    assert "Follow-up policy: *gmail-draft* (override domain acme.example)" in shown
    assert "draft in Gmail" in text


def test_the_notice_offers_a_draft_until_someone_asked() -> None:
    text, blocks = notice_message(notice(), call_url="https://cs.example/v1/calls/call-1")
    assert actions_of({"blocks": blocks}) == [DRAFT_ANYWAY]
    assert "No follow-up needed" in texts_of({"blocks": blocks})
    assert "no follow-up needed: nobody" in text
    asked = notice(drafted_anyway_by="slack:U0DANA")
    _, blocks = notice_message(asked)
    assert actions_of({"blocks": blocks}) == []
    assert "<@U0DANA>" in texts_of({"blocks": blocks})


def test_policy_none_says_so_and_offers_nothing() -> None:
    none = PolicyChoice(name=FollowUpPolicy.NONE, source="CS_AGENT_FOLLOWUP_POLICY")
    _, blocks = notice_message(notice(policy=none, no_followup_reason=None))
    shown = texts_of({"blocks": blocks})
    assert "the follow-up policy for this customer is *none*" in shown
    assert actions_of({"blocks": blocks}) == []


@settings(deadline=None)  # no test asserts time; a loaded machine is slow
@given(st.text(max_size=3000), st.text(max_size=300))
def test_hostile_reasons_and_titles_are_escaped_and_fit(reason: str, title: str) -> None:
    text, blocks = notice_message(
        notice(no_followup_reason=reason + " <!channel> <@U0EVIL>", call_title=title)
    )
    shown = texts_of({"blocks": blocks}) + text
    assert "<!channel>" not in shown and "<@U0EVIL>" not in shown
    assert len(text) <= 3000
