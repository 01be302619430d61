"""Retention: remove the transcripts of old calls, keeping what was decided from them.

``cs-agent purge --older-than 90d`` empties the ``transcript`` of every call received before
the cutoff. The call row, its action items (with their quotes), its draft and its audit log
stay, so the inbox, the API and the metrics still show what happened; the transcript itself is
gone (a purged call cannot be analysed again, and says so). Each purged call gets an audit event.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine

from storage import repo
from storage.db import session_scope
from storage.models import utcnow

PURGED = "transcript_purged"


@dataclass
class PurgeReport:
    """What a purge did (or, in a dry run, would do)."""

    cutoff: dt.datetime
    older_than: str
    dry_run: bool
    calls: list[repo.PurgeCandidate] = field(default_factory=list)

    @property
    def words(self) -> int:
        """Words of transcript removed."""
        return sum(call.word_count for call in self.calls)


def purge_transcripts(
    engine: Engine,
    *,
    older_than: dt.timedelta,
    described: str,
    actor: str,
    dry_run: bool = False,
    now: dt.datetime | None = None,
) -> PurgeReport:
    """Remove the transcripts of calls received more than ``older_than`` ago.

    One transaction a call (the transcript and its audit event together), so an interrupted
    purge leaves every call either untouched or purged and recorded.
    """
    cutoff = (now or utcnow()) - older_than
    report = PurgeReport(cutoff=cutoff, older_than=described, dry_run=dry_run)
    with session_scope(engine) as session:
        candidates = repo.calls_with_transcripts_before(session, cutoff=cutoff)
    if dry_run:
        report.calls = candidates
        return report
    for candidate in candidates:
        with session_scope(engine) as session:
            if not repo.purge_transcript(session, call_id=candidate.call_id):
                continue  # another purge got there first
            repo.add_audit(
                session,
                actor=actor,
                action=PURGED,
                call_id=candidate.call_id,
                detail={
                    "older_than": described,
                    "cutoff": cutoff.isoformat(timespec="seconds"),
                    "words": candidate.word_count,
                },
            )
        report.calls.append(candidate)
    return report
