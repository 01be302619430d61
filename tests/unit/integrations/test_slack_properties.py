"""Property tests: Block Kit messages and modals built from hostile text.

They never hang or crash, keep every Slack limit, and let no mention or link from the call's
text through into a mrkdwn field.
"""

from __future__ import annotations

import re
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from cs_agent.core.domain import CallSummary, DraftStatus
from integrations.slack.blocks import (
    approval_message,
    edit_modal,
    failure_reply,
    reject_modal,
)
from integrations.slack.text import (
    CONFIRM_TEXT,
    FIELD_TEXT,
    HEADER_TEXT,
    NOTIFICATION_TEXT,
    SECTION_TEXT,
    cut_escaped,
)

from ...slack_env import a_request

_PIECES = st.sampled_from(
    [
        "<!channel>",
        "<!here>",
        "<@U0EVIL>",
        "<#C0EVIL>",
        "<https://evil.example|Open>",
        "&",
        "<",
        ">",
    ]
)
HOSTILE = st.lists(
    st.one_of(_PIECES, st.text(max_size=40), st.just("&<>" * 120), st.just("\x00\x1b\u202e")),
    max_size=12,
).map("".join)
_FORBIDDEN = re.compile(r"<[!@#]|<https?:|<evil")
_OURS = re.compile(r"<https://l\.example/CS-\d+\|CS-\d+>|<!date\^\d+\^[^|<>]*\|[^<>]*>")
"""What the builders write themselves: the tracker's links and Slack dates."""


def _leaks(text: str) -> bool:
    """Whether a mention or link other than our own got through."""
    return bool(_FORBIDDEN.search(_OURS.sub("", text)))


def _mrkdwn(node: Any) -> list[str]:
    """Every mrkdwn text in a Block Kit tree."""
    found: list[str] = []
    if isinstance(node, dict):
        if node.get("type") == "mrkdwn":
            found.append(node["text"])
        for value in node.values():
            found.extend(_mrkdwn(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(_mrkdwn(value))
    return found


def _check_limits(blocks: list[dict[str, Any]]) -> None:
    for block in blocks:
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= HEADER_TEXT
        if block["type"] == "section":
            if "text" in block:
                assert len(block["text"]["text"]) <= SECTION_TEXT
            for field in block.get("fields", []):
                assert len(field["text"]) <= FIELD_TEXT
        if block["type"] == "actions":
            for element in block["elements"]:
                if "confirm" in element:
                    assert len(element["confirm"]["text"]["text"]) <= CONFIRM_TEXT


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=400), st.integers(min_value=-10, max_value=400))
def test_cut_escaped_keeps_any_limit(text: str, limit: int) -> None:
    out = cut_escaped(text, limit)
    assert len(out) <= max(limit, 0)
    assert "<" not in out and ">" not in out


@settings(max_examples=40, deadline=None)
@given(HOSTILE, HOSTILE, st.lists(HOSTILE, max_size=7), HOSTILE)
def test_the_approval_message_keeps_limits_and_escapes(
    subject: str, summary: str, risks: list[str], title: str
) -> None:
    request = a_request(subject=subject or "s", cc=["tom@acme.example"]).model_copy(
        update={
            "summary": CallSummary(text=summary, risks=risks),
            "call_title": title,
        }
    )
    text, blocks = approval_message(request)
    assert len(text) <= NOTIFICATION_TEXT
    assert not _leaks(text)
    _check_limits(blocks)
    for field in _mrkdwn(blocks):
        assert not _leaks(field), field


@settings(max_examples=30, deadline=None)
@given(HOSTILE, HOSTILE)
def test_failure_reply_and_modals_keep_limits_and_escape(subject: str, reason: str) -> None:
    draft = a_request(subject=subject or "s", status=DraftStatus.FAILED).draft
    text, blocks = failure_reply(draft, reason)
    assert len(text) <= NOTIFICATION_TEXT and not _leaks(text)
    _check_limits(blocks)
    for view in (edit_modal(draft, channel_id="C1"), reject_modal(draft, channel_id="C1")):
        _check_limits(view["blocks"])
        for field in _mrkdwn(view["blocks"]):
            assert not _leaks(field), field
