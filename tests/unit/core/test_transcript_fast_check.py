"""The fast WebVTT check never vouches for a transcript the parser refuses.

Intake accepts WebVTT that passes ``is_certainly_vtt`` without parsing it, so the check must
be a strict subset of what the parser reads. Real files must pass it (or the fast path would
be dead code), and thousands of mutated files must never pass it while failing to parse.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from cs_agent.core.domain import TranscriptFormat
from cs_agent.core.transcripts import (
    TranscriptError,
    decode_transcript,
    is_certainly_vtt,
    parse_transcript,
)

from ...conftest import EXAMPLES, REPO_ROOT

FIXTURES = REPO_ROOT / "tests" / "fixtures" / "transcripts"
REAL_FILES = [EXAMPLES / "acme-renewal.vtt", *sorted(FIXTURES.glob("*.vtt"))]


def parses(text: str) -> bool:
    try:
        parse_transcript(text, format=TranscriptFormat.VTT)
    except TranscriptError:
        return False
    return True


@pytest.mark.parametrize("path", REAL_FILES, ids=lambda p: p.name)
def test_real_files_pass_the_fast_check(path: Path) -> None:
    text = decode_transcript(path.read_bytes())
    assert is_certainly_vtt(text)
    assert parses(text)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nDana:\n", "the only cue is a bare speaker"),
        ("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<i></i>\n", "the only cue is markup"),
        ("WEBVTT\n\n00:00:03.000 --> 00:00:02.000\nhello\n", "a cue ends before it starts"),
        ("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nhello --> there\n", "an arrow in cue text"),
        ("WEBVTT\n\n1\n2\n00:00:01.000 --> 00:00:02.000\nhello\n", "two identifier lines"),
        ("WEBVTT\n\n00:00:01.000 -> 00:00:02.000\nhello\n", "a malformed arrow"),
        ("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nhi\n  \nthere\n", "a blank-looking line"),
        ("\nNOTE\n\n00:00:01.000 --> 00:00:02.000\nhello\n", "no header"),
        ("WEBVTT\n\nNOTE only a note\n", "no cues at all"),
        # Many long lines in a block that then fails: the check stays linear, not exponential.
        ("WEBVTT\n\n" + ("a b c d e f g h " * 200 + "\n") * 200 + "x\n", "a block with no timing"),
    ],
)
def test_refuses_what_it_cannot_vouch_for(text: str, reason: str) -> None:
    assert not is_certainly_vtt(text), reason


def _mutations(lines: list[str], rng: random.Random) -> list[str]:
    out = list(lines)
    for _ in range(rng.randint(1, 3)):
        i = rng.randrange(len(out))
        kind = rng.randrange(12)
        if kind == 0:
            del out[i]
        elif kind == 1:
            out.insert(i, out[i])
        elif kind == 2:
            out.insert(i, "")
        elif kind == 3:
            out.insert(i, rng.choice([" ", "\t", "\u00a0", "\x1c"]))
        elif kind == 4:
            out[i] = out[i].replace("-->", rng.choice(["->", "-- >", "--> -->", "-->-->"]))
        elif kind == 5 and "-->" in out[i]:
            start, _, end = out[i].partition(" --> ")
            out[i] = f"{end.split(' ')[0]} --> {start}"
        elif kind == 6:
            out.insert(i, rng.choice(["NOTE", "NOTE x", "STYLE", "REGION", "NOTE -->"]))
        elif kind == 7:
            out[i] = out[i] + " --> 00:00:01.000"
        elif kind == 8:
            out[i] = rng.choice(["", "Dana:", "<v Dana></v>", "<i> </i>", "&nbsp;", "Dana: "])
        elif kind == 9:
            out[i] = out[i].replace("00:", rng.choice(["", "0:", "000:", "99:"]), 1)
        elif kind == 10:
            out[i] = rng.choice(["WEBVTT", "WEBVTTX", "webvtt", "WEBVTT - header", "1"])
        else:
            out[i] = out[i][: rng.randrange(len(out[i]) + 1)]
    return out


def test_never_vouches_for_a_transcript_the_parser_refuses() -> None:
    rng = random.Random(20261127)
    sources = [decode_transcript(p.read_bytes()).split("\n") for p in REAL_FILES]
    snippets = [lines[: rng.randint(8, 40)] for lines in sources for _ in range(20)]
    vouched = refused_by_parser = 0
    for case in range(3000):
        text = "\n".join(_mutations(rng.choice(snippets), rng))
        ok = parses(text)
        refused_by_parser += not ok
        if is_certainly_vtt(text):
            vouched += 1
            assert ok, f"case {case}: the fast check vouched for a file the parser refuses:\n{text}"
    # Both kinds occur, so the property was really exercised.
    assert vouched > 300
    assert refused_by_parser > 300
