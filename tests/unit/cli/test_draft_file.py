"""The text form of a draft that ``cs-agent drafts edit`` opens: it reads back what it wrote,
and every problem names its line."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from cs_agent.cli.draft_file import parse_draft_file, render_draft_file

ADDRESS = st.from_regex(r"[a-z]{1,8}@[a-z]{1,8}\.example", fullmatch=True)
ONE_LINE = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), max_size=80)


@settings(deadline=None)  # no test asserts time; a loaded machine is slow
@given(
    to=st.lists(ADDRESS, max_size=3),
    cc=st.lists(ADDRESS, max_size=3),
    subject=ONE_LINE.map(str.strip),
    body=st.text(max_size=400).map(lambda b: b.replace("\r", "").strip("\n")),
)
def test_what_is_written_reads_back(to: list[str], cc: list[str], subject: str, body: str) -> None:
    text = render_draft_file(to=to, cc=cc, subject=subject, body=body)
    read = parse_draft_file(text)
    assert read.errors == []
    assert (read.to, read.cc, read.subject) == (to, cc, subject)
    assert read.body.strip("\n") == body


def test_problems_name_their_lines() -> None:
    read = parse_draft_file("# note\nTo: a@x.example\nTo: b@x.example\nFrom: me\n\nHi\n")
    assert read.errors == [
        "line 3: To is given twice",
        "line 4: expected a header line To:, Cc: or Subject:, got 'From: me' "
        "(the body starts after the first blank line)",
        "line 1: the Subject: line is missing",
    ]
    assert read.lines["to"] == 2 and read.body == "Hi\n"


@settings(deadline=None)  # no test asserts time; a loaded machine is slow
@given(st.text(max_size=300))
def test_any_text_reads_or_says_why(text: str) -> None:
    read = parse_draft_file(text)
    assert all(error.startswith("line ") for error in read.errors)
