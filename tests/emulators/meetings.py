"""A recorded call that the meeting-system emulators (Gong, Google Meet) serve in their own shapes.

Built from an example in ``examples/`` (its utterances and its metadata), so a test can check
that what cs-agent took in is the call that was recorded.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent.parent / "examples"


@dataclass
class Person:
    """Someone on the call, as the meeting system knows them."""

    name: str
    email: str | None
    internal: bool | None
    """True for the host's company, False for the customer, None when unknown."""


@dataclass
class Line:
    """One stretch of speech: seconds from the start."""

    speaker: str
    text: str
    start: float
    end: float


@dataclass
class RecordedCall:
    """A call with its people and what they said."""

    title: str
    started: dt.datetime
    duration: float
    people: list[Person]
    lines: list[Line]
    account: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def person(self, name: str) -> Person:
        """The person of that name."""
        return next(p for p in self.people if p.name == name)


def example_call(name: str = "umbrella-qbr", *, lines: int | None = None) -> RecordedCall:
    """The example ``name`` as a recorded call (its first ``lines`` utterances, if given)."""
    utterances = json.loads((EXAMPLES / f"{name}.json").read_text())["utterances"]
    meta = json.loads((EXAMPLES / f"{name}.meta.json").read_text())
    spoken = [
        Line(u["speaker"], u["text"], float(u["start"]), float(u["end"]))
        for u in utterances[: lines or len(utterances)]
    ]
    people = [
        Person(a["name"], a.get("email"), a.get("side") == "us" if a.get("side") else None)
        for a in meta["attendees"]
    ]
    return RecordedCall(
        title=meta["title"],
        started=dt.datetime.fromisoformat(meta["call_date"] + "T15:00:00+00:00"),
        duration=max(line.end for line in spoken),
        people=people,
        lines=spoken,
        account=(meta.get("customer") or {}).get("name"),
    )
