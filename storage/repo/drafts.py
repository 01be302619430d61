"""Follow-up drafts: storing them, moving them through their states, reminding about them.

Every change of state is one conditional UPDATE with the expected state (and version) in the
WHERE clause: that, not a lock held in Python, is what makes a double click safe across
processes. ``transition_draft_audited`` adds the re-read draft and its audit event to that
update, in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypedDict

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from cs_agent.core.domain import DraftStatus, FollowUpDraft
from storage.models import DraftRow, utcnow
from storage.repo.audit import add_audit


def get_draft(session: Session, *, draft_id: str) -> DraftRow | None:
    """The draft with this id, or None."""
    return session.get(DraftRow, draft_id)


def get_draft_for_call(session: Session, *, call_id: str) -> DraftRow | None:
    """The follow-up draft of a call, or None before the analysis made one (updates aside)."""
    return session.exec(
        select(DraftRow).where(DraftRow.call_id == call_id).where(DraftRow.kind == "followup")
    ).first()


def find_drafts_by_prefix(session: Session, *, prefix: str, limit: int = 2) -> Sequence[DraftRow]:
    """Drafts whose id starts with ``prefix`` (so people can type a short id)."""
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return session.exec(
        select(DraftRow).where(col(DraftRow.id).like(f"{escaped}%", escape="\\")).limit(limit)
    ).all()


def list_drafts(
    session: Session, *, status: str | None = None, limit: int = 50
) -> Sequence[DraftRow]:
    """Drafts, newest first, optionally of one status."""
    query = select(DraftRow).order_by(col(DraftRow.created_at).desc())
    if status:
        query = query.where(DraftRow.status == status)
    return session.exec(query.limit(limit)).all()


def insert_draft_if_absent(session: Session, *, row: DraftRow) -> tuple[DraftRow, bool]:
    """Insert the call's draft unless it has one. Returns the stored draft and whether it is new."""
    existing = get_draft_for_call(session, call_id=row.call_id)
    if existing is not None:
        return existing, False
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        existing = get_draft_for_call(session, call_id=row.call_id)
        if existing is None:
            raise
        return existing, False
    return row, True


def transition_draft(
    session: Session,
    *,
    draft_id: str,
    from_statuses: Iterable[DraftStatus],
    to_status: DraftStatus,
    version: int | None = None,
    bump_version: bool = False,
    **values: Any,
) -> bool:
    """Move a draft to ``to_status`` if, and only if, it is in one of ``from_statuses``.

    One conditional UPDATE: of two concurrent callers exactly one sees True.
    ``version`` (when given) must also match, so a decision on an old version cannot apply to
    an edited draft. ``bump_version`` saves the change as the next version (``version`` is
    then required); ``values`` are the other columns to set.
    """
    query = (
        update(DraftRow)
        .where(col(DraftRow.id) == draft_id)
        .where(col(DraftRow.status).in_([s.value for s in from_statuses]))
    )
    if version is not None:
        query = query.where(col(DraftRow.version) == version)
    if bump_version:
        if version is None:
            raise ValueError("bump_version needs the version the change applies to")
        values["version"] = version + 1
    result = session.execute(query.values(status=to_status.value, updated_at=utcnow(), **values))
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class DraftTransition:
    """What a conditional update of a draft did, and the draft as it stands after it."""

    changed: bool
    """True for exactly one of any number of concurrent callers making the same change."""
    draft: DraftRow | None
    """The draft re-read after the update; None when there is no such draft."""


AuditDetail = dict[str, Any] | Callable[[DraftRow], dict[str, Any]]
"""An audit event's detail, or a function of the re-read draft for details naming its state."""


def transition_draft_audited(
    session: Session,
    *,
    draft_id: str,
    from_statuses: Iterable[DraftStatus],
    to_status: DraftStatus,
    actor: str,
    action: str,
    detail: AuditDetail | None = None,
    audit_unchanged: bool = False,
    version: int | None = None,
    bump_version: bool = False,
    **values: Any,
) -> DraftTransition:
    """``transition_draft``, then the draft re-read, then its audit event, in one transaction.

    The decision is still the one conditional UPDATE, and the event is written only when that
    update changed the draft, so a decision made twice at once is logged once.
    ``audit_unchanged`` writes the event either way: for outcomes (a send reported by a step
    that may run again) rather than decisions. No event is written for a draft that does not
    exist.
    """
    changed = transition_draft(
        session,
        draft_id=draft_id,
        from_statuses=from_statuses,
        to_status=to_status,
        version=version,
        bump_version=bump_version,
        **values,
    )
    draft = session.get(DraftRow, draft_id, populate_existing=True)
    if draft is not None and (changed or audit_unchanged):
        add_audit(
            session,
            actor=actor,
            action=action,
            call_id=draft.call_id,
            draft_id=draft_id,
            detail=detail(draft) if callable(detail) else detail,
        )
    return DraftTransition(changed=changed, draft=draft)


class Revision(TypedDict):
    """An edit as ``transition_draft`` keywords: the conditional update that saves it."""

    from_statuses: tuple[DraftStatus, ...]
    to_status: DraftStatus
    version: int
    bump_version: bool
    subject: str
    body: str
    to: list[str]
    cc: list[str]
    failure_reason: None
    message_id: None


def revision(
    *, expected_version: int, subject: str, body: str, to: list[str], cc: list[str]
) -> Revision:
    """Saving an edit as the next version; only a pending or failed draft can be edited.

    A failed draft goes back to pending, so the fixed email can be approved again; nothing is
    left of the old version's send (its failure, its Message-ID: the new version gets its own).
    """
    return Revision(
        from_statuses=(DraftStatus.PENDING, DraftStatus.FAILED),
        to_status=DraftStatus.PENDING,
        version=expected_version,
        bump_version=True,
        subject=subject,
        body=body,
        to=to,
        cc=cc,
        failure_reason=None,
        message_id=None,
    )


def revise_draft(
    session: Session,
    *,
    draft_id: str,
    expected_version: int,
    subject: str,
    body: str,
    to: list[str],
    cc: list[str],
) -> bool:
    """Save an edit as the next version, if the draft is at ``expected_version`` and editable
    (see ``revision``)."""
    return transition_draft(
        session,
        draft_id=draft_id,
        **revision(expected_version=expected_version, subject=subject, body=body, to=to, cc=cc),
    )


def set_approval_ref(session: Session, *, draft_id: str, ref: dict[str, str]) -> None:
    """Remember where the approval request for a draft lives."""
    session.execute(
        update(DraftRow)
        .where(col(DraftRow.id) == draft_id)
        .values(approval_ref=ref, updated_at=utcnow())
    )


def draft_from_row(row: DraftRow) -> FollowUpDraft:
    """The domain form of a stored draft."""
    return FollowUpDraft(
        id=row.id,
        call_id=row.call_id,
        version=row.version,
        status=DraftStatus(row.status),
        subject=row.subject,
        body=row.body,
        to=list(row.to),
        cc=list(row.cc),
        approval_ref=dict(row.approval_ref),
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        sent_at=row.sent_at,
        message_id=row.message_id,
        provider_message_id=row.provider_message_id,
        failure_reason=row.failure_reason,
        reject_reason=row.reject_reason,
        kind=row.kind,
        in_reply_to=row.in_reply_to,
        drafted_by=row.drafted_by,
        gmail_draft_id=row.gmail_draft_id,
        mailbox_url=row.mailbox_url,
    )


# --- reminders -------------------------------------------------------------------------------------


def drafts_due_a_reminder(
    session: Session, *, pending_since: dt.datetime, limit: int = 100
) -> list[str]:
    """Ids of drafts pending since before ``pending_since`` and never reminded about."""
    return list(
        session.exec(
            select(col(DraftRow.id))
            .where(col(DraftRow.status) == DraftStatus.PENDING.value)
            .where(col(DraftRow.reminded_at).is_(None))
            .where(col(DraftRow.updated_at) <= pending_since)
            .order_by(col(DraftRow.updated_at))
            .limit(limit)
        ).all()
    )


def claim_reminder(
    session: Session, *, draft_id: str, pending_since: dt.datetime, now: dt.datetime
) -> bool:
    """Take the one reminder of a draft: True for exactly one caller, however many ask at once.

    The draft must still be pending, still unreminded, and still old enough (an edit moved it on).
    """
    result = session.execute(
        update(DraftRow)
        .where(col(DraftRow.id) == draft_id)
        .where(col(DraftRow.status) == DraftStatus.PENDING.value)
        .where(col(DraftRow.reminded_at).is_(None))
        .where(col(DraftRow.updated_at) <= pending_since)
        .values(reminded_at=now)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]
