"""What ``calls list --json`` shows of each call."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from storage.models import CallRow


def call_json(row: CallRow) -> dict[str, Any]:
    """One call of ``calls list --json``: where it came from, its status, and why it failed."""
    return {
        "call_id": row.id,
        "status": row.status,
        "source": row.source,
        "source_id": row.source_id,
        "customer": row.customer_name,
        "title": row.title,
        "received": row.created_at.isoformat(),
        "failure_reason": row.failure_reason,
    }
