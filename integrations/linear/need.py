"""The Markdown body of a Linear customer need: the words from the call, when, and the call.

A customer need shows on the customer's page and on the issue, so its body says in the
customer's own words what they asked for, when in the call they said it, and which call (with
a link back to its page). The words go through ``integrations.linear.markdown`` like every
other piece of call text: escaped, kept inside their blockquote, cut to the limit.
"""

from __future__ import annotations

from cs_agent.core.domain import format_timestamp
from cs_agent.core.ports import CallContext
from integrations.linear.description import call_text
from integrations.linear.markdown import cut, escape_line, lines, utf16_length

NEED_BODY_LIMIT = 10_000
"""A conservative cap on a need's body (UTF-16 units): Linear does not document one."""
_CUT_NOTE = "*(cut: the words from the call were too long)*"


def need_body(words: str, call: CallContext | None, *, said_at: float | None = None) -> str:
    """The need's body: ``words`` quoted, when they were said, and the call they came from.

    At most ``NEED_BODY_LIMIT`` long: when the words do not fit they are cut (on a whole
    character, never inside an escape) and the body says so; the source line is never cut.
    """
    stamp = format_timestamp(said_at)
    said = f"> — said at {stamp} in the call" if stamp else "> — said in the call"
    source = f"From {call_text(call)}" if call is not None else "From a customer call"
    quoted = [f"> {escape_line(line)}" if line else ">" for line in lines(words)]
    quote = "\n".join(quoted)
    body = _join(quote, said, source)
    if utf16_length(body) <= NEED_BODY_LIMIT:
        return body
    room = NEED_BODY_LIMIT - utf16_length(_join("", said, source)) - len(_CUT_NOTE) - 8
    kept = cut(quote, max(room, 0))
    return _join(kept, said, _CUT_NOTE + "\n\n" + source)


def _join(quote: str, said: str, source: str) -> str:
    if quote:
        return f"{quote}\n>\n{said}\n\n{source}"
    return f"{said.removeprefix('> ')}\n\n{source}"
