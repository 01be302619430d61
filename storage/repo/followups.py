"""What a call's follow-up policy decided: the policy stored, the no-draft notice, "draft one
anyway" claimed once, and drafts waiting in a mailbox."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import update
from sqlmodel import Session, col, select

from cs_agent.core.domain import DraftStatus
from cs_agent.core.followup import PolicyChoice
from storage.models import CallRow, DraftRow, utcnow


def record_policy(session: Session, *, call_id: str, policy: PolicyChoice) -> None:
    """Store the policy a call's follow-up is handled under, and where it came from."""
    session.execute(
        update(CallRow)
        .where(col(CallRow.id) == call_id)
        .values(
            followup_policy=policy.name.value,
            followup_policy_source=policy.source,
            updated_at=utcnow(),
        )
    )


def set_notice_ref(session: Session, *, call_id: str, ref: dict[str, str]) -> None:
    """Remember where the channel said that the call has no draft."""
    session.execute(
        update(CallRow)
        .where(col(CallRow.id) == call_id)
        .values(followup_notice_ref=ref, updated_at=utcnow())
    )


def claim_draft_anyway(session: Session, *, call_id: str, actor: str, at: dt.datetime) -> bool:
    """Record that ``actor`` asked for a draft the analysis found unneeded: true for exactly one
    of any number of concurrent clicks (one conditional UPDATE)."""
    result = session.execute(
        update(CallRow)
        .where(col(CallRow.id) == call_id)
        .where(col(CallRow.no_followup_reason).is_not(None))
        .where(col(CallRow.drafted_anyway_by).is_(None))
        .values(drafted_anyway_by=actor, drafted_anyway_at=at, updated_at=utcnow())
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def drafts_in_gmail(session: Session, *, limit: int = 200) -> Sequence[DraftRow]:
    """Drafts waiting in the sender's mailbox, oldest first: the reconcile looks each one up."""
    return session.exec(
        select(DraftRow)
        .where(col(DraftRow.status) == DraftStatus.IN_GMAIL.value)
        .order_by(col(DraftRow.created_at))
        .limit(limit)
    ).all()
