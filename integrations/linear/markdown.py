"""Words from a call, made safe to put in a Linear issue: escaped, kept on their lines, cut.

Every piece of text that comes from a transcript or from call metadata (titles, quotes, owner,
customer and call names) goes through this module, and nothing else escapes Linear Markdown:

- ``escape_inline`` backslash-escapes what could start a link, an image, an autolink, raw
  HTML, an entity, emphasis, code, a table or a user mention, so the words render as written;
- ``escape_line`` also escapes what would make a line a heading, a list item, a quote, a
  horizontal rule or a setext underline, so text can never add structure of its own;
- ``one_line`` and ``lines`` decide where line breaks may be: never inside a name or a title,
  and only as whole escaped lines in a paragraph or a quote;
- ``cut`` shortens text to a limit counted the way Linear counts (UTF-16 code units), on a
  whole character, and never between a backslash and the character it escapes.

``unescape`` is the inverse of the escaping: it gives the words back.
"""

from __future__ import annotations

import re
import unicodedata

ELLIPSIS = "…"

# Characters that mean something anywhere in a line (CommonMark and Linear's extensions):
# links and images ([ ] ( ) !), autolinks and HTML (< >), emphasis, code, strikethrough and
# tables (* _ ` ~ |), mentions (@), headings and lists (# +), and the escape itself.
_INLINE = re.compile(r"[\\`*_{}\[\]<>()#+!|~@]")
# An ``&`` that starts an entity (``&#64;`` is an ``@``) is escaped; "AT&T" stays as it is.
_ENTITY = re.compile(r"&(?=#[0-9]{1,7};|#[xX][0-9a-fA-F]{1,6};|[A-Za-z][A-Za-z0-9]{1,31};)")
# What a linkifier turns into a link without any brackets: a scheme's ``://`` and ``www.``.
_SCHEME = re.compile(r"(?<=[A-Za-z0-9+.-]):(?=//)")
_WWW = re.compile(r"(?<![A-Za-z0-9])([Ww][Ww][Ww])\.")
# What makes a line something other than a paragraph when it starts it: a list item or a
# rule (``-``), a setext underline (``=``), an ordered list item (``1.`` or ``1)``).
_LINE_START = re.compile(r"^(?:[-=]|[0-9]{1,9}(?=[.)]))")
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")
# Control characters (NUL, escapes, bidi overrides are format characters, kept) and lone
# surrogates: Linear refuses or mangles them, and they are never words.
_DROP = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def clean(text: str) -> str:
    """``text`` without control characters or lone surrogates (tabs and line breaks kept)."""
    return _DROP.sub("", text)


def one_line(text: str) -> str:
    """``text`` on one line: every run of whitespace (line breaks too) becomes one space."""
    return " ".join(clean(text).split())


def lines(text: str) -> list[str]:
    """The lines of ``text``, each stripped and without inner line breaks of any kind.

    ``str.splitlines`` splits on every break Markdown or a browser might honour (``\\r``,
    ``\\u2028``, ``\\x85``…), so a line returned here cannot hold a second line.
    """
    return [" ".join(line.split()) for line in clean(text).strip().splitlines()]


def escape_inline(text: str) -> str:
    """``text`` with everything escaped that could format it or link from inside a line."""
    escaped = _INLINE.sub(lambda match: "\\" + match.group(), text)
    escaped = _ENTITY.sub(r"\\&", escaped)
    escaped = _SCHEME.sub(r"\\:", escaped)
    return _WWW.sub(r"\1\\.", escaped)


def escape_line(text: str) -> str:
    """``escape_inline`` of one line of ``text`` that may start a Markdown line."""
    escaped = escape_inline(text)
    match = _LINE_START.match(escaped)
    if match is None:
        return escaped
    if match.group() in "-=":
        return "\\" + escaped
    end = match.end()
    return escaped[:end] + "\\" + escaped[end:]  # "1." → "1\." is not a list item


def unescape(text: str) -> str:
    """The words ``text`` was escaped from (what Linear shows for it)."""
    return _ESCAPED.sub(r"\1", text)


def utf16_length(text: str) -> int:
    """How long Linear (JavaScript) says ``text`` is: astral characters count twice."""
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def cut(text: str, limit: int, *, marker: str = ELLIPSIS) -> str:
    """``text`` cut to ``limit`` UTF-16 units with ``marker`` at the end if it was cut.

    The cut falls on a whole character, not inside an escape (``\\[`` stays whole or goes),
    and not between a character and the combining marks that follow it. ``limit`` smaller
    than the marker gives an empty string, never an error or a loop.
    """
    if utf16_length(text) <= limit:
        return text
    room = limit - utf16_length(marker)
    if room <= 0:
        return ""
    used = 0
    end = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > room:
            break
        end = index + 1
    kept = text[:end]
    while kept and unicodedata.combining(text[len(kept)]):
        kept = kept[:-1]  # the mark after the cut belongs to the last kept character
    kept = kept.rstrip()
    # A trailing odd run of backslashes is an escape cut in half: drop its backslash.
    trailing = len(kept) - len(kept.rstrip("\\"))
    if trailing % 2:
        kept = kept[:-1]
    return kept + marker
