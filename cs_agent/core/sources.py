"""Where transcripts come from: the one port every meeting source (Zoom, Gong, Google Meet)
implements, and what a source gives for a call.

A source is announced a call (a webhook, or a poll that found it) by a ``SourceRef``: the
source's own id for the call, what the announcement already told, and, for sources whose
announcement carries a credential (Zoom's download token), that secret. ``fetch`` turns the
ref into a ``SourceCall``: the call's title, start, duration, participants and the transcript
in one of our formats. The ingest service (``cs_agent.services.source_ingest``) dedupes on
``(source, source id)`` and hands the call to intake.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from typing import Protocol, runtime_checkable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, SecretStr

from cs_agent.core.domain import Attendee, CallMetadata, Customer, TranscriptFormat, Utterance


class SourceRef(BaseModel):
    """A call a source announced: enough for the source to fetch it."""

    source_id: str = Field(min_length=1, max_length=1000)
    """The source's own id: a Zoom meeting UUID, a Gong call id, a Meet conference record."""
    known: CallMetadata | None = None
    """What the announcement already said (kept on a failed call when the fetch fails)."""
    details: dict[str, str] = Field(default_factory=dict)
    """Source-specific pointers from the announcement (a download URL, a transcript name)."""
    secret: SecretStr | None = None
    """A credential the announcement carried; the ingest service seals it before storing."""

    def metadata(self) -> CallMetadata:
        """What is known of the call before it is fetched, with its source id."""
        known = self.known or CallMetadata()
        return known.model_copy(update={"source_id": self.source_id})


class SourceCall(BaseModel):
    """What a source gives for one call."""

    source_id: str
    title: str | None = None
    started_at: dt.datetime | None = None
    timezone: str | None = None
    """An IANA zone for the call's local date, when the source says where it was held."""
    duration_seconds: float | None = None
    participants: list[Attendee] = Field(default_factory=list)
    """Names, emails and side when the source knows them."""
    customer: Customer | None = None
    format: TranscriptFormat
    transcript: str | bytes
    """The transcript in ``format``: text, or a file's bytes as downloaded (decoded at intake)."""

    def metadata(self) -> CallMetadata:
        """The call's metadata as the source tells it."""
        return CallMetadata(
            title=self.title,
            call_date=local_date(self.started_at, self.timezone),
            customer=self.customer,
            attendees=self.participants,
            source_id=self.source_id,
        )


@runtime_checkable
class TranscriptSource(Protocol):
    """A meeting system that has transcripts.

    Idempotency: ``fetch`` and ``recent`` only read; both are safe to repeat after a crash or a
    retry. Failures are the error taxonomy's (``Unauthorized`` naming the setting to fix,
    ``RateLimited``, ``Unavailable``, ``RejectedInput`` for a call that cannot be had, a
    transcript over the size limit among them).
    """

    name: str
    """The source's name, stored as the call's ``source``: ``zoom``, ``gong``, ``google-meet``."""

    async def fetch(self, ref: SourceRef) -> SourceCall:
        """The call ``ref`` names, with its transcript."""
        ...

    async def recent(self, *, since: dt.datetime) -> list[SourceRef]:
        """Calls with a transcript that ended after ``since`` (empty for push-only sources)."""
        ...


def local_date(start: dt.datetime | None, timezone: str | None) -> dt.date | None:
    """The date a call started on where it was held (UTC, or as given, without a zone)."""
    if start is None:
        return None
    if timezone and start.tzinfo is not None:
        try:
            return start.astimezone(ZoneInfo(timezone)).date()
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return start.date()


def utterances_json(utterances: Iterable[Utterance]) -> str:
    """Utterances as our JSON transcript format (``{"utterances": [...]}``, times in seconds)."""
    rows = [
        {
            "speaker": u.speaker,
            "text": u.text,
            **({"start": round(u.start, 3)} if u.start is not None else {}),
            **({"end": round(u.end, 3)} if u.end is not None else {}),
        }
        for u in utterances
    ]
    return json.dumps({"utterances": rows}, ensure_ascii=False, indent=0)


class TranscriptBudget:
    """Counts a transcript's size as its pages arrive, so a huge one is refused early."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.used = 0

    def take(self, text: str) -> bool:
        """Count ``text``; False once the transcript is over the limit."""
        self.used += len(text.encode("utf-8", "surrogatepass")) + 40  # the JSON around it
        return self.used <= self.max_bytes


class EventSubscription(BaseModel):
    """A source's subscription to its own events (Meet's, through Workspace Events)."""

    name: str
    target: str
    state: str | None = None
    expire_time: dt.datetime | None = None
    created: bool
    """True when this call created it; False when an existing one was renewed."""


@runtime_checkable
class EventSubscriptions(Protocol):
    """Creates or renews a source's event subscription.

    Idempotency: one subscription a target; asking again renews it (its expiry moves on, a
    suspended one is reactivated) instead of creating another.
    """

    async def subscribe(self, *, target: str, topic: str) -> EventSubscription:
        """The subscription for ``target``'s transcripts, delivered to ``topic``."""
        ...
