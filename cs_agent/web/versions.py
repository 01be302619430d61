"""What changed between the versions of a draft, from the audit log: who, when, which fields,
and the body's lines added and removed. Shown on the call's page and before sending."""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from storage.models import AuditEventRow

FIELDS = (("to", "To"), ("cc", "Cc"), ("subject", "Subject"))
CONTEXT_LINES = 1
MAX_BODY_LINES = 400
"""A body diff longer than this is cut (with a note): the page stays readable."""


@dataclass(frozen=True)
class FieldChange:
    """One header field, before and after."""

    label: str
    before: str
    after: str


@dataclass(frozen=True)
class BodyLine:
    """One line of the body's diff: kept (context), added, removed, or a gap between hunks."""

    kind: Literal["same", "add", "del", "gap"]
    text: str


@dataclass
class VersionChange:
    """One edit: from which version to which, by whom, when, and what it changed."""

    from_version: int
    to_version: int
    actor: str
    at: dt.datetime
    fields: list[FieldChange] = field(default_factory=list)
    body: list[BodyLine] = field(default_factory=list)
    body_cut: int = 0
    """Diff lines left out past ``MAX_BODY_LINES``."""


def version_changes(events: Iterable[AuditEventRow]) -> list[VersionChange]:
    """Every edit of the draft in the order made, read from its ``edited`` audit events."""
    changes = []
    for event in events:
        if event.action != "edited":
            continue
        detail = event.detail or {}
        before, after = detail.get("before") or {}, detail.get("after") or {}
        change = VersionChange(
            from_version=int(detail.get("from_version") or 0),
            to_version=int(detail.get("to_version") or 0),
            actor=event.actor,
            at=event.at,
        )
        for key, label in FIELDS:
            old, new = _shown(before.get(key)), _shown(after.get(key))
            if old != new:
                change.fields.append(FieldChange(label=label, before=old, after=new))
        lines = body_diff(str(before.get("body") or ""), str(after.get("body") or ""))
        change.body, change.body_cut = lines[:MAX_BODY_LINES], max(len(lines) - MAX_BODY_LINES, 0)
        changes.append(change)
    return changes


def body_diff(before: str, after: str) -> list[BodyLine]:
    """The changed lines of the body with one line of context around each change."""
    old, new = before.splitlines(), after.splitlines()
    lines: list[BodyLine] = []
    for group in difflib.SequenceMatcher(None, old, new, autojunk=False).get_grouped_opcodes(
        CONTEXT_LINES
    ):
        if lines:
            lines.append(BodyLine("gap", "…"))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines += [BodyLine("same", text) for text in old[i1:i2]]
                continue
            lines += [BodyLine("del", text) for text in old[i1:i2]]
            lines += [BodyLine("add", text) for text in new[j1:j2]]
    return lines


def _shown(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "—"
    return str(value) if value not in (None, "") else "—"
