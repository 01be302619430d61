"""The audit log: who did what, when, to which call and draft. Append-only."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, col, select

from storage.models import AuditEventRow


def add_audit(
    session: Session,
    *,
    actor: str,
    action: str,
    call_id: str | None = None,
    draft_id: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append one event to the audit log."""
    session.add(
        AuditEventRow(
            actor=actor, action=action, call_id=call_id, draft_id=draft_id, detail=detail or {}
        )
    )


def audit_exists(session: Session, *, draft_id: str, action: str) -> bool:
    """Whether the audit log has an ``action`` event for ``draft_id``."""
    found = session.exec(
        select(AuditEventRow.id)
        .where(AuditEventRow.draft_id == draft_id)
        .where(AuditEventRow.action == action)
        .limit(1)
    ).first()
    return found is not None


def list_audit(session: Session, *, call_id: str) -> Sequence[AuditEventRow]:
    """A call's audit log, oldest first."""
    return session.exec(
        select(AuditEventRow)
        .where(AuditEventRow.call_id == call_id)
        .order_by(col(AuditEventRow.at), col(AuditEventRow.id))
    ).all()
