"""The offline analyzer: cue-phrase rules for when no model credentials exist.

(First cut: finds "I'll …" / "we will …" commitments. Replaced by the full analyzer.)
"""

from __future__ import annotations

import re

from cs_agent.domain import (
    ActionItem,
    CallAnalysis,
    CallMetadata,
    CallSummary,
    EmailDraft,
    Owner,
    Transcript,
)
from cs_agent.ports import TaskTracker

ANALYZER_NAME = "offline-rules"
_COMMIT = re.compile(r"\b(I'll|I will|we'll|we will)\s+([^.?!]{8,120})", re.IGNORECASE)


class RulesAnalyzer:
    """Finds commitments by cue phrases. Every output says it came from the offline analyzer."""

    name = ANALYZER_NAME

    def __init__(self, *, company_name: str, sender_name: str | None = None) -> None:
        self._company = company_name
        self._sender = sender_name

    async def analyze(
        self, transcript: Transcript, metadata: CallMetadata, *, tracker: TaskTracker
    ) -> CallAnalysis:
        """Extract action items, a summary and a draft from cue phrases."""
        items = []
        for u in transcript.utterances:
            for match in _COMMIT.finditer(u.text):
                items.append(
                    ActionItem(
                        title=match.group(2).strip().capitalize(),
                        owner=Owner(name=u.speaker),
                        quote=match.group(0),
                        quote_time=u.start,
                    )
                )
        return CallAnalysis(
            analyzer=ANALYZER_NAME,
            summary=CallSummary(text="[offline analyzer] summary"),
            action_items=items,
            email=EmailDraft(subject="Follow-up", body="Thanks", to=[], cc=[]),
        )
