"""Slack text: cutting and escaping terminate for any limit, and hostile text stays inert."""

from __future__ import annotations

import pytest

from cs_agent.core.domain import CallSummary
from integrations.slack.blocks import approval_message
from integrations.slack.text import SECTION_TEXT, cut, cut_escaped, escape

from ...slack_env import a_request

RISK_LINES = [
    "considering cancelling",
    "renewal is at risk",
    "other vendors",
    "budget freeze",
    "outage",
    "frustrated",
    "escalate",
]


@pytest.mark.parametrize("limit", [-5, -1, 0, 1, 2, 3, 4, 5, 7, 50])
def test_cut_escaped_terminates_and_keeps_any_limit(limit: int) -> None:
    out = cut_escaped("&<>" * 120, limit)
    assert len(out) <= max(limit, 0)
    assert "<" not in out and ">" not in out
    assert cut("abc", limit) == ("" if limit <= 0 else cut("abc", limit))


def test_five_risks_full_of_entities_leave_the_summary_within_the_limit() -> None:
    # The repro: a risk of each kind padded with &<> × 120; its escaped risks alone once
    # exceeded the section's 3000 characters and the summary's room went negative.
    risks = [f"The customer said {kind} " + "&<>" * 120 for kind in RISK_LINES]
    request = a_request().model_copy(
        update={"summary": CallSummary(text="Went well. " + "&<>" * 900, risks=risks)}
    )
    _, blocks = approval_message(request)
    summary = next(b for b in blocks if b.get("text", {}).get("text", "").startswith("*Summary*"))
    text = summary["text"]["text"]
    assert len(text) <= SECTION_TEXT
    assert text.count("• Risk:") == 5
    assert "<" not in text and ">" not in text, "every risk escaped"


def test_the_notification_text_and_the_confirm_dialog_are_inert_and_list_to_and_cc() -> None:
    hostile = "Acme <!channel> <https://evil.example|Open> <@U0EVIL>"
    request = a_request(
        subject=hostile, to=["priya@acmefreight.example"], cc=["tom@acmefreight.example"]
    )
    text, blocks = approval_message(request)
    assert "<!channel>" not in text and "<https://" not in text and "<@U0EVIL>" not in text
    assert escape("<!channel>") in text
    (actions,) = [b for b in blocks if b["type"] == "actions"]
    confirm = actions["elements"][0]["confirm"]
    assert confirm["text"]["type"] == "plain_text", "no formatting meant: no mrkdwn to inject"
    assert "priya@acmefreight.example" in confirm["text"]["text"]
    assert "tom@acmefreight.example" in confirm["text"]["text"]
    assert len(confirm["text"]["text"]) <= 300
