"""The offline analyzer's rule for "no follow-up needed", applied to what it found.

Kept apart from the rules' extraction (``analyzers/rules/``): it reads only the finished
analysis and the call's metadata (items and the attendees' sides). A call gets no draft when
nobody from the customer's side was on it, or when nothing was agreed or asked (no action
items and no question anywhere in the transcript: the rules can miss a commitment, and a
question left open is worth an answer). The email is still drafted and kept, for a person who
asks for one anyway.
"""

from __future__ import annotations

from cs_agent.core.domain import CallAnalysis, CallMetadata, Side, Transcript
from cs_agent.core.ports import Analyzer, TaskTracker

INTERNAL_CALL = "nobody from the customer's side was on the call (an internal call)"
NOTHING_AGREED = (
    "nothing was agreed or asked on the call (no action items and no questions were found)"
)


def offline_no_followup_reason(
    analysis: CallAnalysis, metadata: CallMetadata, transcript: Transcript | None = None
) -> str | None:
    """Why this call needs no follow-up email, or None when it needs one."""
    if _internal(analysis, metadata, transcript):
        return INTERNAL_CALL
    asked = transcript is not None and any("?" in u.text for u in transcript.utterances)
    if not analysis.action_items and not asked:
        return NOTHING_AGREED
    return None


class NoFollowUpRule:
    """Wraps the offline analyzer: its analysis, with the reason set when no email is needed."""

    def __init__(self, inner: Analyzer) -> None:
        self._inner = inner
        self.name = inner.name

    async def analyze(
        self, transcript: Transcript, metadata: CallMetadata, *, tracker: TaskTracker
    ) -> CallAnalysis:
        """The inner analysis, with ``no_followup_reason`` from the rule when it applies."""
        analysis = await self._inner.analyze(transcript, metadata, tracker=tracker)
        if analysis.no_followup_reason is not None:
            return analysis
        reason = offline_no_followup_reason(analysis, metadata, transcript)
        if reason is None:
            return analysis
        return analysis.model_copy(update={"no_followup_reason": reason})


def _internal(
    analysis: CallAnalysis, metadata: CallMetadata, transcript: Transcript | None
) -> bool:
    """Every attendee is on our side, and so is everyone who spoke (a speaker the metadata
    does not list may be the customer: a Zoom event names only the host)."""
    sides = [attendee.side for attendee in metadata.attendees]
    owners = [item.owner.side for item in analysis.action_items if item.owner]
    if not sides or None in sides or Side.CUSTOMER in sides or Side.CUSTOMER in owners:
        return False
    if transcript is None:
        return True
    return all(_listed(speaker, metadata) for speaker in transcript.speakers())


def _listed(speaker: str, metadata: CallMetadata) -> bool:
    said = " ".join(speaker.split()).casefold()
    for attendee in metadata.attendees:
        name = " ".join(attendee.name.split()).casefold()
        # A full name, or a one-word speaker label that is the attendee's first name.
        if said == name or (" " not in said and name.split(" ")[0] == said):
            return True
    return False
