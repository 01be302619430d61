"""The offline analyzer's rule for "no follow-up needed", applied to what it found.

Kept apart from the rules' extraction (``analyzers/rules/``): it reads only the finished
analysis and the call's metadata (items and the attendees' sides). A call gets no draft when
nobody from the customer's side was on it, or when nothing was agreed or asked (no action
items). The email is still drafted and kept, for a person who asks for one anyway.
"""

from __future__ import annotations

from cs_agent.core.domain import CallAnalysis, CallMetadata, Side, Transcript
from cs_agent.core.ports import Analyzer, TaskTracker

INTERNAL_CALL = "nobody from the customer's side was on the call (an internal call)"
NOTHING_AGREED = "nothing was agreed or asked on the call (no action items were found)"


def offline_no_followup_reason(analysis: CallAnalysis, metadata: CallMetadata) -> str | None:
    """Why this call needs no follow-up email, or None when it needs one."""
    sides = [attendee.side for attendee in metadata.attendees]
    owners = [item.owner.side for item in analysis.action_items if item.owner]
    if (
        sides
        and all(side is not None for side in sides)
        and Side.CUSTOMER not in sides
        and Side.CUSTOMER not in owners
    ):
        return INTERNAL_CALL
    if not analysis.action_items:
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
        reason = offline_no_followup_reason(analysis, metadata)
        if reason is None:
            return analysis
        return analysis.model_copy(update={"no_followup_reason": reason})
