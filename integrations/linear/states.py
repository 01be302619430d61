"""Where filed issues stand in Linear: the reconcile's read (``TaskTracker.issue_states``).

One ``issues`` query a page of up to 50 ids (``id in [...]``, and ``updatedAt gt`` the last
run when known), following ``pageInfo`` cursors. Linear's ``WorkflowState.type`` is folded to
what a promise needs: ``completed`` and ``canceled`` as they are, anything else ``open``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from cs_agent.core.domain import IssueState, TrackerStateType
from cs_agent.core.errors import UnexpectedAnswer
from integrations.linear import answers
from integrations.linear.client import LinearClient
from integrations.linear.errors import SYSTEM

BATCH = 50


def state_type_of(linear_type: str) -> TrackerStateType:
    """Linear's state type (triage, backlog, unstarted, started, completed, canceled) folded."""
    if linear_type == "completed":
        return "completed"
    if linear_type == "canceled":
        return "canceled"
    return "open"


def parse_time(value: str, *, field: str) -> dt.datetime:
    """An ISO 8601 time from Linear (``2026-12-04T03:00:00.000Z``), always timezone-aware."""
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise UnexpectedAnswer(SYSTEM, f"{field} is not an ISO 8601 time: {value[:40]!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


async def fetch_issue_states(
    client: LinearClient, issue_ids: list[str], *, updated_since: dt.datetime | None
) -> list[IssueState]:
    """The state of each of ``issue_ids`` Linear knows (changed since ``updated_since``)."""
    found: list[IssueState] = []
    for start in range(0, len(issue_ids), BATCH):
        conditions: list[dict[str, Any]] = [{"id": {"in": issue_ids[start : start + BATCH]}}]
        if updated_since is not None:
            conditions.append({"updatedAt": {"gt": updated_since.isoformat()}})
        after: str | None = None
        while True:
            data = await client.execute(
                "IssueStates", {"filter": {"and": conditions}, "first": BATCH, "after": after}
            )
            page = answers.read(answers.IssueStates, data, operation="IssueStates").issues
            found.extend(
                IssueState(
                    id=node.id,
                    identifier=node.identifier,
                    state_type=state_type_of(node.state.type),
                    state_name=node.state.name,
                    updated_at=parse_time(node.updatedAt, field="issues.nodes.updatedAt"),
                )
                for node in page.nodes
            )
            if not page.pageInfo.hasNextPage or not page.pageInfo.endCursor:
                break
            after = page.pageInfo.endCursor
    return found
