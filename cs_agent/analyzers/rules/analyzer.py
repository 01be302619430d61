"""The offline analyzer: a call read into action items, a summary and a follow-up draft.

Each item is linked to an open tracker issue with a matching title when one exists.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterable
from typing import Final

from cs_agent.analyzers.rules.candidates import Candidate
from cs_agent.analyzers.rules.drafting import followup_email
from cs_agent.analyzers.rules.extraction import Extractor
from cs_agent.analyzers.rules.roster import Roster
from cs_agent.analyzers.rules.scoring import THRESHOLD, dropped_note
from cs_agent.analyzers.rules.summary import call_summary, word_stats
from cs_agent.analyzers.rules.wording import due_text, join_names
from cs_agent.core.domain import (
    OFFLINE_ANALYZER,
    ActionItem,
    CallAnalysis,
    CallMetadata,
    EmailDraft,
    Transcript,
    format_timestamp,
)
from cs_agent.core.ports import TaskTracker
from cs_agent.core.transcripts import UNKNOWN_SPEAKER, unmatched_speakers

ANALYZER_NAME = OFFLINE_ANALYZER
_TRACKER_CONCURRENCY: Final = 4


class RulesAnalyzer:
    """Finds commitments by cue phrases. Every output says it came from the offline analyzer."""

    name = ANALYZER_NAME

    def __init__(self, *, company_name: str, sender_name: str | None = None) -> None:
        self._company = company_name
        self._sender = sender_name

    async def analyze(
        self, transcript: Transcript, metadata: CallMetadata, *, tracker: TaskTracker
    ) -> CallAnalysis:
        """Extract action items, a summary and a follow-up draft from cue phrases.

        Each item is checked against ``tracker`` for an open issue with a matching title,
        which is then set as the item's ``existing_issue`` so the workflow links, not refiles.
        """
        # The reading is CPU work (a 3-hour call takes a second or more): it runs in a worker
        # thread, so the server's event loop keeps answering health checks and Slack's
        # three-second acknowledgements meanwhile. Only the tracker look-ups run on the loop.
        roster, items, dropped = await asyncio.to_thread(self._find_items, transcript, metadata)
        await _link_existing(items, tracker, metadata)
        return await asyncio.to_thread(
            self._write_up, transcript, metadata, roster, items, dropped_note(dropped)
        )

    def _find_items(
        self, transcript: Transcript, metadata: CallMetadata
    ) -> tuple[Roster, list[ActionItem], dict[str, int]]:
        call_date = metadata.call_date or dt.date.today()
        roster = Roster(transcript, metadata, company_name=self._company, sender_name=self._sender)
        extractor = Extractor(transcript, roster, call_date, metadata.title)
        candidates = extractor.resolve(extractor.run())
        return roster, [self._item(c) for c in candidates], dict(extractor.dropped)

    def _write_up(
        self,
        transcript: Transcript,
        metadata: CallMetadata,
        roster: Roster,
        items: list[ActionItem],
        dropped: str | None,
    ) -> CallAnalysis:
        # Names are not topics, however often they are said.
        exclude = {w.lower() for p in roster.people for w in p.name.split()}
        for name in (metadata.customer.name if metadata.customer else "", self._company):
            exclude.update(w.lower() for w in name.split())
        stats = word_stats(transcript, exclude)
        summary = call_summary(
            transcript, metadata, roster, items, stats, company_name=self._company
        )
        if dropped:
            # Say what was left out, so a short list reads as a choice, not as a miss.
            summary = summary.model_copy(update={"text": f"{summary.text} {dropped}"})
        email = followup_email(
            metadata,
            roster,
            items,
            stats.topics,
            company_name=self._company,
            sender_name=self._sender,
        )
        return CallAnalysis(
            analyzer=ANALYZER_NAME,
            summary=summary,
            action_items=items,
            email=email,
            notes=self._notes(transcript, metadata, roster, email, dropped),
        )

    @staticmethod
    def _item(candidate: Candidate) -> ActionItem:
        owner = candidate.owner
        stamp = format_timestamp(candidate.utterance.start)
        at = f" (at {stamp})" if stamp else ""
        speaker = candidate.speaker.name
        title = candidate.title
        task = title[:1].lower() + title[1:] if title[1:2].islower() else title
        if candidate.kind == "request" and owner is not None:
            answer = f" {owner.first_name} agreed." if candidate.accepted else ""
            text = f"{speaker} asked {owner.name} to {task}{at}.{answer}"
        elif candidate.kind == "offer":
            text = f"{speaker} offered to {task}{at}, and the offer was accepted."
        elif candidate.kind == "plan":
            text = f"{speaker} proposed to {task}{at}."
        elif candidate.kind == "assign":
            who = owner.name if owner is not None and owner is not candidate.speaker else None
            if who is None and owner is candidate.speaker:
                text = f"{speaker} said their side would {task}{at}."
            else:
                text = f"{speaker} gave {who or 'the team'} the task to {task}{at}."
        elif owner is not None and owner is not candidate.speaker:
            text = f"{speaker} said {owner.name} would {task}{at}."
        else:
            text = f"{speaker} committed to {task}{at}."
        if candidate.due:
            text += f" Due {due_text(candidate.due)}."
        cues = ", ".join(f'"{c}"' for c in [candidate.cue, *candidate.merged_cues])
        label = "cue phrase" if len(candidate.merged_cues) == 0 else "cue phrases"
        description = (
            f"{text} Found by the offline analyzer ({label} {cues}; score "
            f"{candidate.score:.2f} of 1, threshold {THRESHOLD})."
        )
        known = owner is not None and owner.name != UNKNOWN_SPEAKER
        return ActionItem(
            title=candidate.title,
            description=description,
            owner=owner.owner() if owner is not None and known else None,
            due_date=candidate.due,
            priority=candidate.priority,
            quote=candidate.quote,
            quote_time=candidate.utterance.start,
        )

    def _notes(
        self,
        transcript: Transcript,
        metadata: CallMetadata,
        roster: Roster,
        email: EmailDraft,
        dropped: str | None,
    ) -> list[str]:
        notes = [
            "OFFLINE ANALYZER: made by the offline-rules analyzer from cue phrases, not by a "
            "language model. It can miss commitments phrased unusually and misread context; "
            "review every item, the summary and the email.",
            "Set ANTHROPIC_API_KEY to use the Claude agent.",
        ]
        if dropped:
            notes.append(dropped)
        if metadata.call_date is None:
            notes.append("The call has no date, so due dates were resolved against today.")
        guessed = [p.name for p in roster.people if p.guessed_side and p.words]
        if guessed:
            notes.append(f"Sides guessed from email domains or names: {join_names(guessed)}.")
        unmatched = unmatched_speakers(transcript, metadata)
        if unmatched:
            notes.append(f"Speakers not in the attendee list: {join_names(unmatched)}.")
        if not email.to:
            notes.append(
                "No customer email address is known: add a recipient before approving the email."
            )
        return notes


async def _link_existing(
    items: Iterable[ActionItem], tracker: TaskTracker, metadata: CallMetadata
) -> None:
    customer = metadata.customer.name if metadata.customer else None
    gate = asyncio.Semaphore(_TRACKER_CONCURRENCY)

    async def link(item: ActionItem) -> None:
        async with gate:
            matches = await tracker.find_open_issues(query=item.title, customer=customer)
        if matches:
            item.existing_issue = matches[0].model_copy(update={"existing": True})

    await asyncio.gather(*(link(item) for item in items))
