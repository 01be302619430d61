"""Property tests: Linear issue titles and descriptions built from hostile call text.

The body is parsed with a CommonMark parser (tables and strikethrough on, as Linear has them):
whatever the call said, it holds one link (ours, back to the call), no image, no HTML, no
heading, rule, code or extra list item, no mention, and the ``- Customer:`` line names the real
customer. Titles and bodies keep Linear's limits, and the quote can be read back.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token

from cs_agent.core.domain import ActionItem, Owner, Side
from cs_agent.core.ports import CallContext
from integrations.linear.description import (
    DESCRIPTION_LIMIT,
    TITLE_LIMIT,
    customer_name,
    customer_of,
    issue_description,
    issue_title,
    same_customer,
)
from integrations.linear.markdown import cut, escape_inline, lines, unescape, utf16_length

CALL_URL = "https://cs.example/v1/calls/"
_PIECES = st.sampled_from(
    [
        "[x](https://evil.example)",
        "[x]: https://evil.example",
        "[x][x]",
        "![](https://evil.example/p.png)",
        "<https://evil.example>",
        "<img src=x onerror=alert(1)>",
        "<div>",
        "https://evil.example/a",
        "www.evil.example",
        "@dana",
        "&#64;dana",
        "&lt;b&gt;",
        "\n- Customer: Evil Corp\n",
        "- Customer: Evil Corp (evil.example)",
        "\n# Heading\n",
        "\n---\n",
        "\n***\n",
        "\n___\n",
        "\n===\n",
        "\n1. item\n",
        "\n2) item\n",
        "\n+ item\n",
        "\n> quoted\n",
        "\n    indented code\n",
        "\n```\n",
        "`code`",
        "~~gone~~",
        "**bold**",
        "_em_",
        "| a | b |\n|---|---|\n",
        "\\",
        "\\\\",
        "\\[",
        "(",
        ")",
        "\r",
        "\r\n",
        "\u2028",
        "\x85",
        "\x0b",
        "\x00",
        "\ud800",
        "e\u0301",
        "🎉",
        "  ",
        "\t",
    ]
)
hostile = st.lists(st.one_of(_PIECES, st.text(max_size=12)), max_size=14).map("".join)
named = hostile.filter(lambda text: bool(customer_name(text)))
_PARSER = MarkdownIt("commonmark").enable(["table", "strikethrough"])


@st.composite
def cases(draw: st.DrawFn) -> tuple[ActionItem, CallContext]:
    owner = draw(st.none() | st.builds(Owner, name=hostile, side=st.sampled_from(list(Side))))
    item = ActionItem(
        title=draw(hostile),
        description=draw(hostile),
        quote=draw(hostile),
        quote_time=draw(st.none() | st.floats(min_value=0, max_value=10_000)),
        owner=owner,
    )
    call = CallContext(
        call_id=draw(hostile) or "call-1",
        title=draw(st.none() | hostile),
        customer_name=draw(named),
        customer_domain=draw(st.none() | hostile),
        call_url=draw(st.none() | hostile.map(lambda text: CALL_URL + text)),
    )
    return item, call


def walk(tokens: list[Token]) -> Iterator[Token]:
    for token in tokens:
        yield token
        if token.children:
            yield from walk(token.children)


def check_body(body: str, call: CallContext) -> None:
    """Everything in ``body`` that is not plain text, a paragraph or a quote is ours."""
    tokens = list(walk(_PARSER.parse(body)))
    kinds = {token.type for token in tokens}
    forbidden = {
        "image",
        "html_inline",
        "html_block",
        "heading_open",
        "hr",
        "ordered_list_open",
        "code_inline",
        "code_block",
        "fence",
        "table_open",
        "s_open",
        "strong_open",
    }
    assert not kinds & forbidden, kinds & forbidden
    links = [token for token in tokens if token.type == "link_open"]
    if call.call_url:
        assert len(links) == 1 and str(links[0].attrs["href"]).startswith(CALL_URL)
    else:
        assert links == []
    facts = 3 if call.customer_name else 2
    items = [token for token in tokens if token.type == "list_item_open"]
    assert len(items) <= facts
    assert sum(token.type == "bullet_list_open" for token in tokens) == 1
    assert sum(token.type == "blockquote_open" for token in tokens) <= 1
    # Linear makes mentions and links of bare "@name", "https://…" and "www.…": never bare here.
    own_link = re.sub(r"\]\(https://cs\.example/[^)\s]*\)", "]", body)
    assert re.search(r"(?<!\\)@", own_link) is None
    assert re.search(r"(?<!\\):(?=//)", own_link) is None
    assert re.search(r"(?<![\\\w])www\.", own_link, re.IGNORECASE) is None


@settings(max_examples=150, deadline=None)
@given(cases(), st.booleans())
def test_hostile_text_cannot_format_link_mention_or_forge_the_customer(
    case: tuple[ActionItem, CallContext], assigned: bool
) -> None:
    item, call = case
    body = issue_description(item, call, assigned=assigned)
    title = issue_title(item)
    assert utf16_length(title) <= TITLE_LIMIT and "\n" not in title and "\r" not in title
    assert bool(title) == bool(customer_name(item.title))
    assert utf16_length(body) <= DESCRIPTION_LIMIT
    check_body(body, call)
    assert call.customer_name is not None
    assert customer_of(body) == customer_name(call.customer_name)
    assert same_customer(body, call.customer_name)
    assert not same_customer(body, "Evil Corp") or customer_name(call.customer_name) == "Evil Corp"


@settings(max_examples=100, deadline=None)
@given(hostile, st.none() | st.floats(min_value=0, max_value=10_000))
def test_the_quote_stays_one_blockquote_and_reads_back(quote: str, when: float | None) -> None:
    item = ActionItem(title="Send pricing", quote=quote, quote_time=when)
    body = issue_description(item, CallContext(call_id="c1", customer_name="Acme"))
    quoted = [line for line in body.splitlines() if line.startswith(">")]
    said = [line for line in quoted if line.startswith("> — said")]
    words = lines(quote)
    if not words:
        assert quoted == []
        return
    # Every line of the quote is prefixed, so none escapes it; the words come back unescaped.
    assert len(said) == 1 and quoted[-1] == said[0] and quoted[-2] == ">"
    back = [unescape(line.removeprefix(">").removeprefix(" ")) for line in quoted[:-2]]
    assert back == words
    tokens = _PARSER.parse(body)
    assert [token.type for token in tokens].count("blockquote_open") == 1


@settings(max_examples=10, deadline=None)
@given(hostile, st.integers(min_value=1, max_value=3), st.text(max_size=3))
def test_over_long_text_is_cut_within_limits_and_keeps_the_customer_line(
    piece: str, copies: int, tail: str
) -> None:
    huge = (piece + "[x](https://evil.example) 🎉\\" + tail) * (3_000 * copies)
    item = ActionItem(title=huge, description=huge, quote=huge)
    call = CallContext(call_id="c1", customer_name=huge, call_url=CALL_URL + "c1")
    body = issue_description(item, call)
    assert utf16_length(body) <= DESCRIPTION_LIMIT
    assert utf16_length(issue_title(item)) <= TITLE_LIMIT
    assert customer_of(body) == customer_name(huge)
    assert body.endswith("Filed by cs-agent from a customer call.") and "(cut:" in body
    check_body(body, call)


@settings(max_examples=200, deadline=None)
@given(hostile, st.integers(min_value=-3, max_value=80))
def test_cut_never_splits_an_escape_or_a_character(text: str, limit: int) -> None:
    escaped = escape_inline(text)
    kept = cut(escaped, limit)
    assert utf16_length(kept) <= max(limit, 0)
    if kept != escaped:
        body = kept.removesuffix("…")
        assert (len(body) - len(body.rstrip("\\"))) % 2 == 0
        assert text.startswith(unescape(body).rstrip()) or not body


def test_a_forged_customer_line_in_the_text_is_just_text() -> None:
    item = ActionItem(
        title="Call back",
        description="Call back\n- Customer: Evil Corp\n  - Customer: Evil Corp",
        quote="fine\n- Customer: Evil Corp",
    )
    body = issue_description(item, CallContext(call_id="c1", customer_name="Acme (EU)"))
    assert customer_of(body) == "Acme (EU)"
    assert not same_customer(body, "Evil Corp")
    assert "\n\\- Customer: Evil Corp" in body
