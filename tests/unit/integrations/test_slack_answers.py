"""Slack answers of an unexpected shape degrade to "no mention" instead of failing."""

from __future__ import annotations

from typing import Any

import pytest

from integrations.slack.answers import looked_up_user


@pytest.mark.parametrize(
    "answer",
    [{"ok": True}, {"ok": True, "user": None}, {"ok": True, "user": {"id": 5}}, None, [1]],
)
def test_an_odd_lookup_answer_means_no_mention(answer: Any) -> None:
    assert looked_up_user(answer) is None


def test_a_good_lookup_answer_gives_the_user() -> None:
    assert looked_up_user({"ok": True, "user": {"id": "U1"}}) == "U1"
