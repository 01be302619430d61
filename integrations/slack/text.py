"""Slack's text limits and the one place text is escaped for ``mrkdwn``.

Every string that comes from a call, a customer or a model and goes into a ``mrkdwn`` field
passes through :func:`escape` (directly or via :func:`cut_escaped`), so a transcript cannot
make the bot ping ``<!channel>``, mention ``<@U…>`` or fake a link ``<https://evil|Open>``.
Where no formatting is meant, the builders use ``plain_text`` instead.
"""

from __future__ import annotations

# Slack's limits (docs.slack.dev/reference/block-kit and chat.postMessage).
MAX_BLOCKS = 50
SECTION_TEXT = 3000
FIELD_TEXT = 2000
HEADER_TEXT = 150
BUTTON_TEXT = 75
CONFIRM_TITLE = 100
CONFIRM_TEXT = 300
MESSAGE_TEXT = 40000
NOTIFICATION_TEXT = 300
"""Ours, not Slack's: the notification line is kept short enough to read in a banner."""
INPUT_TEXT = 3000
"""The most a plain_text_input holds: longer values cannot be edited in a modal."""
MODAL_TITLE = 24
INPUT_LABEL = 2000
INPUT_HINT = 2000
PRIVATE_METADATA = 3000

_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as control sequences."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def cut(text: str, limit: int, *, more: str = "…") -> str:
    """``text`` shortened to ``limit`` characters at a paragraph, line, sentence or word end."""
    if limit <= 0:
        return ""
    if len(text) <= limit:
        return text
    if limit < len(more):
        return text[:limit]
    room = limit - len(more)
    head = text[:room]
    for separator in ("\n\n", "\n", ". ", " "):
        index = head.rfind(separator)
        if index >= room * 0.6:
            head = head[: index + (1 if separator == ". " else 0)]
            break
    return head.rstrip() + more


def cut_escaped(text: str, limit: int, *, more: str = "…") -> str:
    """``text`` cut and escaped for mrkdwn, at most ``limit`` characters, never splitting an entity.

    One pass over the text: the longest prefix whose escaped form plus the ellipsis fits is
    found first, and only then cut at a word end (a prefix of a prefix escapes no longer).
    Any ``limit`` terminates; ``limit <= 0`` gives the empty string.
    """
    if limit <= 0:
        return ""
    escaped = escape(text)
    if len(escaped) <= limit:
        return escaped
    tail = escape(more)
    room = limit - len(tail)
    if room < 0:
        tail, room = "", limit
    size = 0
    fits = 0
    for char in text:
        size += len(_ENTITIES.get(char, char))
        if size > room:
            break
        fits += 1
    if not tail:
        return escape(text[:fits])
    # cut() keeps a prefix of text[:fits] and appends ``more``: its escape stays within limit.
    return escape(cut(text, fits + len(more), more=more))
