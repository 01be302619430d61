"""A person's decision on a follow-up draft: approve, edit, reject. Shared by every channel.

The CLI, Slack and the web inbox all call these, after checking that the person may decide.
Each decision is one conditional update (so a double click decides once) plus an audit event;
approving also enqueues ``send_followup`` under an id derived from the draft and its version,
so however many times Approve is clicked, one email is sent.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from cs_agent.core.addresses import EmailAddress
from cs_agent.core.domain import DraftStatus, FollowUpDraft
from cs_agent.core.ports import ApprovalOutcome
from cs_agent.services import approval_requests, send_followup
from cs_agent.services.context import ServiceContext
from storage import repo
from storage.db import session_scope
from storage.models import DraftRow, utcnow


class DecisionRefused(Exception):
    """The draft is not in a state that allows this decision; the message says why."""


@dataclass(frozen=True)
class Decision:
    """What a decision did."""

    draft: FollowUpDraft
    changed: bool
    """False when an identical earlier decision had already been made (a double click)."""
    workflow_id: str | None = None


def resolve_draft_id(ctx: ServiceContext, id_or_prefix: str) -> str:
    """A full draft id from an id or a unique prefix of one (people type short ids)."""
    with session_scope(ctx.engine) as session:
        if repo.get_draft(session, draft_id=id_or_prefix) is not None:
            return id_or_prefix
        matches = repo.find_drafts_by_prefix(session, prefix=id_or_prefix)
    if not matches:
        raise DecisionRefused(f"no draft with id {id_or_prefix!r}")
    if len(matches) > 1:
        raise DecisionRefused(f"{id_or_prefix!r} matches several drafts; type more of the id")
    return matches[0].id


async def approve(
    ctx: ServiceContext, *, draft_id: str, actor: str, version: int | None = None
) -> Decision:
    """Approve a pending draft and start sending it. Approving again is harmless.

    ``version`` is the version the person saw; if the draft was edited since, the approval is
    refused rather than applied to text they did not read.
    """
    with session_scope(ctx.engine) as session:
        row = _get(session, draft_id)
        if version is not None and row.version != version:
            raise DecisionRefused(
                f"the draft was edited (now version {row.version}); review it again"
            )
        if row.status == DraftStatus.PENDING and not row.to:
            raise DecisionRefused(
                f"draft {row.id} has no recipient yet; edit it to add one, then approve"
            )
        transition = repo.transition_draft_audited(
            session,
            draft_id=draft_id,
            version=row.version,
            from_statuses=[DraftStatus.PENDING],
            to_status=DraftStatus.APPROVED,
            actor=actor,
            action="approved",
            detail={"version": row.version},
            decided_by=actor,
            decided_at=utcnow(),
        )
        changed, row = transition.changed, _reread(transition)
        if not changed and row.status not in (
            DraftStatus.APPROVED,
            DraftStatus.SENDING,
            DraftStatus.SENT,
        ):
            raise DecisionRefused(_not_pending(row))
        draft = repo.draft_from_row(row)
    # Enqueued after the commit, and enqueued again on a repeat click: if a crash came between
    # the two, the next click (or `cs-agent drafts approve`) still starts the one send.
    workflow_id = await send_followup.start_send_followup(draft.id, draft.version)
    if changed:
        await approval_requests.announce(
            ctx, draft, ApprovalOutcome(status="approved", actor=actor)
        )
    return Decision(draft=draft, changed=changed, workflow_id=workflow_id)


async def reject(
    ctx: ServiceContext, *, draft_id: str, actor: str, reason: str | None = None
) -> Decision:
    """Reject a pending (or failed) draft: nothing will be sent."""
    with session_scope(ctx.engine) as session:
        row = _get(session, draft_id)
        transition = repo.transition_draft_audited(
            session,
            draft_id=draft_id,
            from_statuses=[DraftStatus.PENDING, DraftStatus.FAILED],
            to_status=DraftStatus.REJECTED,
            actor=actor,
            action="rejected",
            detail=lambda rejected: {"version": rejected.version, "reason": reason},
            decided_by=actor,
            decided_at=utcnow(),
            reject_reason=reason,
        )
        changed, row = transition.changed, _reread(transition)
        if not changed and row.status != DraftStatus.REJECTED:
            raise DecisionRefused(_not_pending(row))
        if changed:
            repo.set_call_status(session, call_id=row.call_id, status="completed")
        draft = repo.draft_from_row(row)
    if changed:
        await approval_requests.announce(
            ctx, draft, ApprovalOutcome(status="rejected", actor=actor, detail=reason)
        )
    return Decision(draft=draft, changed=changed)


async def edit(
    ctx: ServiceContext,
    *,
    draft_id: str,
    actor: str,
    expected_version: int,
    subject: str,
    body: str,
    to: list[str],
    cc: list[str],
) -> Decision:
    """Save an edit as a new version (pending again). The audit log keeps old and new text."""
    problems = validate_email_fields(subject=subject, body=body, to=to, cc=cc)
    if problems:
        raise DecisionRefused("; ".join(f"{field}: {msg}" for field, msg in problems.items()))
    with session_scope(ctx.engine) as session:
        row = _get(session, draft_id)
        before = {"subject": row.subject, "body": row.body, "to": row.to, "cc": row.cc}
        transition = repo.transition_draft_audited(
            session,
            draft_id=draft_id,
            actor=actor,
            action="edited",
            detail={
                "from_version": expected_version,
                "to_version": expected_version + 1,
                "before": before,
                "after": {"subject": subject, "body": body, "to": to, "cc": cc},
            },
            **repo.revision(
                expected_version=expected_version, subject=subject, body=body, to=to, cc=cc
            ),
        )
        row = _reread(transition)
        if not transition.changed:
            if row.version != expected_version:
                raise DecisionRefused(
                    f"someone else edited the draft (now version {row.version}); reload it"
                )
            raise DecisionRefused(_not_pending(row))
        draft = repo.draft_from_row(row)
    request = approval_requests.load_approval_request(ctx, draft_id)
    ref = await ctx.adapters.approvals.request_approval(request)
    with session_scope(ctx.engine) as session:
        repo.set_approval_ref(session, draft_id=draft_id, ref=ref)
    return Decision(draft=draft, changed=True)


async def retry(ctx: ServiceContext, *, draft_id: str, actor: str, version: int) -> Decision:
    """Send a draft whose sending failed again, unchanged. Clicking Retry twice sends once.

    The version stays the same, and with it the Message-ID, so if the failed attempt did reach
    the mail system after all, the mailer's lookup finds it instead of sending a second email.
    """
    with session_scope(ctx.engine) as session:
        row = _get(session, draft_id)
        if row.version != version:
            raise DecisionRefused(
                f"the draft was edited (now version {row.version}); review it again"
            )
        transition = repo.transition_draft_audited(
            session,
            draft_id=draft_id,
            version=version,
            from_statuses=[DraftStatus.FAILED],
            to_status=DraftStatus.APPROVED,
            actor=actor,
            action="retried",
            detail={"version": version},
            decided_by=actor,
            decided_at=utcnow(),
            failure_reason=None,
        )
        changed, row = transition.changed, _reread(transition)
        if not changed and row.status not in (DraftStatus.APPROVED, DraftStatus.SENDING):
            if row.status == DraftStatus.PENDING:
                raise DecisionRefused(f"draft {row.id} is pending: approve it instead")
            raise DecisionRefused(_not_pending(row))
        attempt = sum(
            1
            for event in repo.list_audit(session, call_id=row.call_id)
            if event.action == "retried"
            and event.draft_id == draft_id
            and event.detail.get("version") == version
        )
        draft = repo.draft_from_row(row)
    workflow_id = await send_followup.start_send_followup(draft.id, draft.version, attempt=attempt)
    if changed:
        await approval_requests.announce(
            ctx, draft, ApprovalOutcome(status="approved", actor=actor)
        )
    return Decision(draft=draft, changed=changed, workflow_id=workflow_id)


def validate_email_fields(
    *, subject: str, body: str, to: list[str], cc: list[str]
) -> dict[str, str]:
    """Problems with an edited email, by field name (empty when it is fine)."""
    problems: dict[str, str] = {}
    if not subject.strip():
        problems["subject"] = "the subject is empty"
    if not body.strip():
        problems["body"] = "the body is empty"
    if not to:
        problems["to"] = "add at least one recipient"
    for field, addresses in (("to", to), ("cc", cc)):
        bad = [a for a in addresses if not is_email_address(a)]
        if bad:
            # Each bad entry named as typed, line breaks shown as \r \n so they are visible.
            shown = (a.replace("\r", "\\r").replace("\n", "\\n") for a in bad)
            problems[field] = "not an email address: " + ", ".join(shown)
    return problems


def is_email_address(value: str) -> bool:
    """A plausible single address (``name@domain.tld``, optionally with a display name)."""
    return EmailAddress.is_valid(value)


def _get(session: Session, draft_id: str) -> DraftRow:
    row = repo.get_draft(session, draft_id=draft_id)
    if row is None:
        raise DecisionRefused(f"no draft with id {draft_id!r}")
    return row


def _reread(transition: repo.DraftTransition) -> DraftRow:
    if transition.draft is None:  # drafts are never deleted; this is for the type checker
        raise DecisionRefused("the draft no longer exists")
    return transition.draft


def _not_pending(row: DraftRow) -> str:
    if row.status == DraftStatus.REJECTED:
        return f"draft {row.id} was rejected by {row.decided_by}"
    if row.status == DraftStatus.SENT:
        return f"draft {row.id} was already sent"
    if row.status == DraftStatus.FAILED:
        return f"draft {row.id} failed to send ({row.failure_reason}); edit it to try again"
    if row.status == DraftStatus.IN_GMAIL:
        return (
            f"draft {row.id} is in the sender's Gmail (the gmail-draft follow-up policy): "
            "it is sent from there"
        )
    return f"draft {row.id} is {row.status}, not pending"
