"""What a call looks like to the outside: one model for the API, ``--json`` and the terminal."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from cs_agent.core.domain import CallMetadata, CallSummary, FollowUpDraft, IssueRef, Usage
from cs_agent.core.followup import PolicyChoice
from cs_agent.core.text import STORED
from cs_agent.services.context import ServiceContext
from cs_agent.services.followup_policy import stored_policy
from storage import repo
from storage.db import session_scope


class OwnerView(BaseModel):
    """Who an action item belongs to."""

    name: str
    side: str | None = None
    email: str | None = None


class ActionItemView(BaseModel):
    """An action item and the issue it was filed as."""

    title: str
    description: str
    owner: OwnerView | None
    due_date: dt.date | None
    priority: int
    quote: str
    quote_time: float | None = Field(description="Seconds into the call")
    issue: IssueRef | None


class DraftView(BaseModel):
    """The follow-up email and where it stands."""

    id: str
    version: int
    status: str
    subject: str
    to: list[str]
    cc: list[str]
    body: str
    decided_by: str | None = None
    decided_at: dt.datetime | None = None
    sent_at: dt.datetime | None = None
    message_id: str | None = None
    failure_reason: str | None = None
    reject_reason: str | None = None
    gmail_draft_id: str | None = None
    mailbox_url: str | None = None

    @classmethod
    def from_draft(cls, draft: FollowUpDraft) -> DraftView:
        """The view of a stored draft: the fields of it that the API shows, taken by name."""
        return cls.model_validate(draft, from_attributes=True)


class CallView(BaseModel):
    """Everything known about one call."""

    call_id: str
    status: str
    failure_reason: str | None
    created_at: dt.datetime
    title: str | None
    call_date: dt.date | None
    customer: str | None
    analyzer: str | None
    analysis_notes: list[str]
    summary: CallSummary | None
    action_items: list[ActionItemView]
    draft: DraftView | None
    approval: dict[str, str]
    usage: Usage | None
    cost_usd: float
    words: int
    policy: PolicyChoice | None = None
    """The follow-up policy in force for the call and where it came from (once decided)."""
    no_followup_reason: str | None = None
    """Why no follow-up email was drafted, when the analysis found none needed."""
    drafted_anyway_by: str | None = None


def load_call_view(ctx: ServiceContext, call_id: str) -> CallView | None:
    """The call with its items, issues and draft, or None if there is no such call."""
    with session_scope(ctx.engine) as session:
        call = repo.get_call(session, call_id=call_id)
        if call is None:
            return None
        items = repo.list_items(session, call_id=call_id)
        draft_row = repo.get_draft_for_call(session, call_id=call_id)
        draft = repo.draft_from_row(draft_row) if draft_row else None
        metadata = CallMetadata.model_validate(call.call_metadata, context=STORED)
        return CallView(
            call_id=call.id,
            status=call.status,
            failure_reason=call.failure_reason,
            created_at=call.created_at,
            title=call.title,
            call_date=call.call_date,
            customer=metadata.customer.name if metadata.customer else None,
            analyzer=call.analyzer,
            analysis_notes=list(call.analysis_notes),
            summary=CallSummary.model_validate(call.summary) if call.summary else None,
            action_items=[
                ActionItemView(
                    title=item.title,
                    description=item.description,
                    owner=OwnerView(
                        name=item.owner_name, side=item.owner_side, email=item.owner_email
                    )
                    if item.owner_name
                    else None,
                    due_date=item.due_date,
                    priority=item.priority,
                    quote=item.quote,
                    quote_time=item.quote_time,
                    issue=repo.issue_from_row(item),
                )
                for item in items
            ],
            draft=DraftView.from_draft(draft) if draft else None,
            approval=dict(draft.approval_ref) if draft else {},
            usage=Usage.model_validate(call.usage) if call.usage else None,
            cost_usd=call.cost_usd,
            words=call.word_count,
            policy=stored_policy(call),
            no_followup_reason=call.no_followup_reason,
            drafted_anyway_by=call.drafted_anyway_by,
        )
