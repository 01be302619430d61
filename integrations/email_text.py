"""The plain-text part of a follow-up: the Markdown draft rendered as text a person reads.

Headings become plain lines, emphasis marks are dropped, list items keep a ``- `` (or their
number), links read ``text (url)`` and quotes keep ``> ``. The HTML part is rendered from the
same tokens, so both parts say the same thing.
"""

from __future__ import annotations

from markdown_it import MarkdownIt
from markdown_it.token import Token

_markdown = MarkdownIt("commonmark", {"html": False, "breaks": True, "typographer": False})


def render_text(markdown: str) -> str:
    """``markdown`` as plain text, ending with one newline."""
    lines: list[str] = []
    prefixes: list[str] = []  # "> " for each open quote
    lists: list[int | None] = []  # the next number of each open ordered list, None for bullets
    pending_item = ""
    tight_item = False
    for token in _markdown.parse(markdown):
        kind = token.type
        if kind == "blockquote_open":
            prefixes.append("> ")
        elif kind == "blockquote_close":
            prefixes.pop()
            _blank(lines)
        elif kind == "bullet_list_open":
            lists.append(None)
        elif kind == "ordered_list_open":
            lists.append(int(str(token.attrGet("start") or 1)))
        elif kind in {"bullet_list_close", "ordered_list_close"}:
            lists.pop()
            if not lists:
                _blank(lines)
        elif kind == "list_item_open":
            number = lists[-1] if lists else None
            if number is None:
                pending_item = "  " * (len(lists) - 1) + "- "
            else:
                pending_item = "  " * (len(lists) - 1) + f"{number}. "
                lists[-1] = number + 1
            tight_item = True
        elif kind == "inline":
            text = _inline(token)
            lead = "".join(prefixes)
            for index, line in enumerate(text.split("\n")):
                if index == 0 and pending_item:
                    lines.append(lead + pending_item + line)
                else:
                    indent = " " * len(pending_item) if tight_item and index else ""
                    lines.append((lead + indent + line).rstrip() if line else lead.rstrip())
            pending_item = ""
        elif kind in {"paragraph_close", "heading_close"}:
            if not lists or not token.hidden:
                _blank(lines)
        elif kind in {"fence", "code_block"}:
            lead = "".join(prefixes)
            lines.extend(lead + line for line in token.content.rstrip("\n").split("\n"))
            _blank(lines)
        elif kind == "hr":
            lines.append("".join(prefixes) + "---")
            _blank(lines)
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(lines) + "\n"


def _blank(lines: list[str]) -> None:
    if lines and lines[-1] != "":
        lines.append("")


def _inline(token: Token) -> str:
    parts: list[str] = []
    link: list[tuple[str, int]] = []  # (href, where its text starts)
    for child in token.children or []:
        kind = child.type
        if kind in {"text", "code_inline"}:
            parts.append(child.content)
        elif kind in {"softbreak", "hardbreak"}:
            parts.append("\n")
        elif kind == "image":
            parts.append(child.content or "")
        elif kind == "link_open":
            link.append((str(child.attrGet("href") or ""), len(parts)))
        elif kind == "link_close" and link:
            href, start = link.pop()
            text = "".join(parts[start:])
            bare = href.removeprefix("mailto:")
            if href and text.strip() not in {href, bare}:
                parts.append(f" ({href})")
    return "".join(parts)
