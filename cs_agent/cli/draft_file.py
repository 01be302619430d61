"""A draft as a text file for ``cs-agent drafts edit``: header lines, a blank line, the body.

```
To: priya@acme.example, tom@acme.example
Cc:
Subject: Acme renewal: next steps

Hi Priya, … (Markdown)
```

Lines starting with ``#`` before the blank line are comments. Reading it back checks every
header line and the addresses the way the Slack and inbox edit forms do, and each problem
names its line.
"""

from __future__ import annotations

from dataclasses import dataclass, field

HEADERS = ("To", "Cc", "Subject")
HELP = (
    "# Edit the follow-up, save and close the editor. Addresses are separated by commas.\n"
    "# The body (Markdown) starts after the first blank line. Lines with # up here are ignored.\n"
)


@dataclass
class DraftFile:
    """What the file says, and where each header was (for error messages)."""

    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    subject: str = ""
    body: str = ""
    lines: dict[str, int] = field(default_factory=dict)
    """Header name (lower case) → its line number (1-based); the body's first line as ``body``."""
    errors: list[str] = field(default_factory=list)
    """``line N: …`` problems found while reading; empty when the file reads."""


def render_draft_file(*, to: list[str], cc: list[str], subject: str, body: str) -> str:
    """The text a person edits."""
    return (
        HELP
        + f"To: {', '.join(to)}\n"
        + f"Cc: {', '.join(cc)}\n"
        + f"Subject: {subject}\n"
        + "\n"
        + body
        + ("" if body.endswith("\n") else "\n")
    )


def parse_draft_file(text: str) -> DraftFile:
    """Read an edited file; problems are collected in ``errors``, each naming its line."""
    result = DraftFile()
    lines = text.replace("\r\n", "\n").split("\n")
    seen: set[str] = set()
    number = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            break
        if line.lstrip().startswith("#"):
            continue
        name, colon, value = line.partition(":")
        key = name.strip().lower()
        if not colon or key not in {h.lower() for h in HEADERS}:
            result.errors.append(
                f"line {number}: expected a header line To:, Cc: or Subject:, got {_shown(line)}"
                " (the body starts after the first blank line)"
            )
            continue
        if key in seen:
            result.errors.append(f"line {number}: {name.strip()} is given twice")
            continue
        seen.add(key)
        result.lines[key] = number
        if key == "subject":
            result.subject = value.strip()
        else:
            addresses = [part.strip() for part in value.split(",") if part.strip()]
            setattr(result, key, addresses)
    else:
        number = len(lines) + 1  # no blank line: no body
    result.lines["body"] = number + 1
    result.body = "\n".join(lines[number:]).strip("\n") if number <= len(lines) else ""
    if result.body:
        result.body += "\n"
    for header in HEADERS:
        if header.lower() not in seen and header != "Cc":
            result.errors.append(f"line 1: the {header}: line is missing")
    return result


def located(problems: dict[str, str], file: DraftFile) -> list[str]:
    """Field problems (from the same check the edit forms use) as ``line N (Field): …``."""
    out = []
    for name, message in problems.items():
        line = file.lines.get(name, 1)
        out.append(f"line {line} ({name.capitalize()}): {message}")
    return out


def _shown(line: str) -> str:
    cut = line if len(line) <= 60 else line[:57] + "…"
    return repr(cut)
