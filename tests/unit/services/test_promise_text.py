"""The update template: one sentence a kept promise, whatever the titles hold."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from cs_agent.services.promise_text import KeptLine, update_body, update_subject


def test_one_promise_reads_as_one_sentence_with_the_call_date() -> None:
    body = update_body(
        [KeptLine("Send the revised quote", dt.date(2026, 11, 10), "Renewal", "CS-142")],
        sender_name="Dana Reyes",
    )
    assert "On our call of 10 November" in body
    assert "send the revised quote. It is done (CS-142)." in body
    assert body.rstrip().endswith("Dana Reyes")


def test_several_promises_are_a_list() -> None:
    lines = [KeptLine(f"Item {n}", None, None, None) for n in range(3)]
    body = update_body(lines, sender_name=None)
    assert body.count("\n- On our call") == 3


def test_the_subject_replies_to_the_followup_once() -> None:
    assert update_subject("Follow-up: renewal") == "Re: Follow-up: renewal"
    assert update_subject("RE: Follow-up") == "RE: Follow-up"
    assert update_subject(None) == "An update on what we promised"


@given(st.lists(st.text(min_size=1, max_size=80), min_size=1, max_size=4))
def test_any_titles_make_a_body_naming_each(titles: list[str]) -> None:
    lines = [KeptLine(title, dt.date(2025, 1, 2), None, None) for title in titles]
    body = update_body(lines, sender_name="Sam")
    for title in titles:
        core = title.rstrip(". ")[1:]
        assert core in body
