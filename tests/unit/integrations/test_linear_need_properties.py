"""Property tests: the body of a Linear customer need built from hostile call text.

Whatever the call said, the body is one blockquote of the words (each line prefixed, so none
escapes it), the line saying when they were said, and the source line with our one link back
to the call: no image, HTML, heading, list, code, table, mention or link of the call's making.
It keeps its limit, and the words read back.
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from cs_agent.core.ports import CallContext
from integrations.linear.markdown import lines, unescape, utf16_length
from integrations.linear.need import NEED_BODY_LIMIT, need_body

from .test_linear_description_properties import _PARSER, CALL_URL, hostile, walk

FORBIDDEN = {
    "image",
    "html_inline",
    "html_block",
    "heading_open",
    "hr",
    "bullet_list_open",
    "ordered_list_open",
    "code_inline",
    "code_block",
    "fence",
    "table_open",
    "s_open",
    "strong_open",
    "em_open",
}


@st.composite
def calls(draw: st.DrawFn) -> CallContext | None:
    if draw(st.booleans()):
        return None
    return CallContext(
        call_id=draw(hostile) or "call-1",
        title=draw(st.none() | hostile),
        customer_name=draw(st.none() | hostile),
        call_url=draw(st.none() | hostile.map(lambda text: CALL_URL + text)),
    )


@settings(max_examples=150, deadline=None)
@given(hostile, calls(), st.none() | st.floats(min_value=0, max_value=10_000))
def test_hostile_words_stay_quoted_words(
    words: str, call: CallContext | None, said_at: float | None
) -> None:
    body = need_body(words, call, said_at=said_at)
    assert utf16_length(body) <= NEED_BODY_LIMIT
    tokens = list(walk(_PARSER.parse(body)))
    kinds = {token.type for token in tokens}
    assert not kinds & FORBIDDEN, kinds & FORBIDDEN
    assert sum(token.type == "blockquote_open" for token in tokens) <= 1
    links = [token for token in tokens if token.type == "link_open"]
    if call is not None and call.call_url:
        assert len(links) == 1 and str(links[0].attrs["href"]).startswith(CALL_URL)
    else:
        assert links == []
    own_link = re.sub(r"\]\(https://cs\.example/[^)\s]*\)", "]", body)
    assert re.search(r"(?<!\\)@", own_link) is None
    assert re.search(r"(?<!\\):(?=//)", own_link) is None
    assert re.search(r"(?<![\\\w])www\.", own_link, re.IGNORECASE) is None
    assert body.splitlines()[-1].startswith("From ")


@settings(max_examples=100, deadline=None)
@given(hostile, st.none() | st.floats(min_value=0, max_value=10_000))
def test_the_words_read_back_from_the_quote(words: str, said_at: float | None) -> None:
    body = need_body(words, CallContext(call_id="c1"), said_at=said_at)
    quoted = [line for line in body.splitlines() if line.startswith(">")]
    if not lines(words):
        assert quoted == [] and body.startswith("— said")
        return
    said = [line for line in quoted if line.startswith("> — said")]
    assert len(said) == 1 and quoted[-1] == said[0] and quoted[-2] == ">"
    back = [unescape(line.removeprefix(">").removeprefix(" ")) for line in quoted[:-2]]
    assert back == lines(words)


@settings(max_examples=10, deadline=None)
@given(hostile, st.integers(min_value=1, max_value=3))
def test_over_long_words_are_cut_within_the_limit(piece: str, copies: int) -> None:
    huge = (piece + "[x](https://evil.example) 🎉\\\n") * (1_500 * copies)
    call = CallContext(call_id="c1", title="Renewal", call_url=CALL_URL + "c1")
    body = need_body(huge, call, said_at=12.0)
    assert utf16_length(body) <= NEED_BODY_LIMIT
    assert "(cut:" in body and body.endswith(f"From [Renewal]({CALL_URL}c1)")
    assert sum(token.type == "blockquote_open" for token in walk(_PARSER.parse(body))) == 1
