"""Linear's webhook payloads, read into what cs-agent needs from them.

A delivery is ``{action, type, data, updatedFrom, url, createdAt, webhookTimestamp,
webhookId, actor}``. An ``Issue`` event's ``data`` is the issue with its ``state`` (``name``,
``type``); a ``CustomerNeed`` event's ``data`` names the need's ``issueId``. Other types
are acknowledged and ignored.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from cs_agent.core.domain import IssueState, TrackerStateType

ISSUE = "Issue"
CUSTOMER_NEED = "CustomerNeed"


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class LinearActor(_Loose):
    """Who made the change."""

    id: str | None = None
    name: str | None = None
    email: str | None = None


class LinearState(_Loose):
    """An issue's workflow state."""

    name: str
    type: str


class LinearIssueData(_Loose):
    """The fields of an ``Issue`` event's ``data`` that are read."""

    id: str
    identifier: str | None = None
    state: LinearState | None = None
    updated_at: dt.datetime | None = Field(default=None, alias="updatedAt")


class LinearNeedData(_Loose):
    """The fields of a ``CustomerNeed`` event's ``data`` that are read."""

    id: str
    issue_id: str | None = Field(default=None, alias="issueId")


class LinearEvent(_Loose):
    """One webhook delivery, before its ``data`` is read for its type."""

    action: str
    type: str
    data: dict[str, object]
    url: str | None = None
    created_at: dt.datetime | None = Field(default=None, alias="createdAt")
    webhook_timestamp: int | float = Field(alias="webhookTimestamp")
    webhook_id: str | None = Field(default=None, alias="webhookId")
    actor: LinearActor | None = None


def state_type_of(linear_type: str) -> TrackerStateType:
    """Linear's ``WorkflowState.type`` folded to ``completed`` / ``canceled`` / ``open``."""
    if linear_type in ("completed", "canceled"):
        return "completed" if linear_type == "completed" else "canceled"
    return "open"


def issue_state_of(event: LinearEvent, issue: LinearIssueData) -> IssueState | None:
    """The state an ``Issue`` event reports; None when it carries no state."""
    if issue.state is None:
        return None
    when = issue.updated_at or event.created_at
    if when is None:
        when = dt.datetime.fromtimestamp(event.webhook_timestamp / 1000, dt.UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    actor = None
    if event.actor is not None:
        actor = f"linear:{event.actor.name or event.actor.email or event.actor.id}"
    return IssueState(
        id=issue.id,
        identifier=issue.identifier or issue.id,
        state_type=state_type_of(issue.state.type),
        state_name=issue.state.name,
        updated_at=when,
        actor=actor,
    )
