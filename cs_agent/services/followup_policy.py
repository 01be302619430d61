"""Which follow-up a call gets: the policy in force, whether an email is needed at all, and
telling the channel when no draft was made.

``decide_followup`` runs after the items are filed. It resolves the policy (the setting, or a
per-customer override), stores it with where it came from, and answers what the workflow does
next: ask for approval, place a draft in the sender's mailbox, or make no draft (the policy is
``none``, or the analysis found no email needed). Nothing here sends an email.
"""

from __future__ import annotations

import logging
from enum import StrEnum

from dbos import DBOS

from cs_agent.config import Settings
from cs_agent.core.domain import CallMetadata, CallStatus, CallSummary, FollowUpNotice
from cs_agent.core.errors import WorkflowFailure
from cs_agent.core.followup import FollowUpPolicy, PolicyChoice, resolve_policy
from cs_agent.core.ids import SYSTEM_ACTOR
from cs_agent.core.ports import FollowUpNotifier, MailboxDrafts
from cs_agent.core.text import STORED
from cs_agent.services.backoff import service_retry_policy, with_retries
from cs_agent.services.context import ServiceContext
from cs_agent.services.customer_links import approval_customer
from cs_agent.services.observe import observed
from storage import repo
from storage.db import session_scope
from storage.models import CallRow

log = logging.getLogger(__name__)


class FollowUpStep(StrEnum):
    """What the workflow does after filing: the outcome of ``decide_followup``."""

    APPROVAL = "approval"
    MAILBOX_DRAFT = "mailbox-draft"
    NO_DRAFT = "no-draft"


def policy_for_call(settings: Settings, call: CallRow, *, tier: str | None = None) -> PolicyChoice:
    """The policy for this call's customer: an override by domain, name or tier, else the setting.

    ``tier`` is the tier of the call's customer record in the tracker (Linear's customer tier),
    when the tracker has one; a ``tier:<name>`` override matches only then.
    """
    return resolve_policy(
        settings.default_followup_policy,
        settings.followup_policy_overrides,
        customer_name=call.customer_name,
        customer_domain=call.customer_domain,
        tier=tier,
    )


def mailbox_of(ctx: ServiceContext) -> MailboxDrafts:
    """The mailer as a place for drafts; a clear error when it is not one (no Gmail)."""
    mailer = ctx.adapters.mailer
    if not isinstance(mailer, MailboxDrafts):
        raise WorkflowFailure(
            f"the gmail-draft follow-up policy needs Gmail, but the mailer is {mailer.name}: "
            "set CS_AGENT_GMAIL_CREDENTIALS and CS_AGENT_GMAIL_SENDER, or choose another "
            "policy with CS_AGENT_FOLLOWUP_POLICY"
        )
    return mailer


def stored_policy(call: CallRow) -> PolicyChoice | None:
    """The policy recorded on the call, if it got that far."""
    if not call.followup_policy:
        return None
    return PolicyChoice(
        name=FollowUpPolicy(call.followup_policy), source=call.followup_policy_source or ""
    )


@DBOS.step(name="decide_followup")
@observed("decide_followup")
async def decide_followup(ctx: ServiceContext, call_id: str, *, tier: str | None = None) -> str:
    """Record the policy in force for the call; returns the ``FollowUpStep`` to take.

    ``tier`` is the call's tracker customer's tier, for ``tier:<name>`` overrides.
    """
    with session_scope(ctx.engine) as session:
        call = repo.get_call(session, call_id=call_id)
        if call is None:
            raise WorkflowFailure(f"call {call_id} does not exist")
        # Resolved from the settings each time (a retried call follows a corrected setting);
        # the audit log gets an event only when that changes what was recorded.
        previous = stored_policy(call)
        policy = policy_for_call(ctx.settings, call, tier=tier)
        repo.record_policy(session, call_id=call_id, policy=policy)
        changed = previous != policy
        if policy.name == FollowUpPolicy.NONE or call.no_followup_reason:
            step = FollowUpStep.NO_DRAFT
        elif policy.name == FollowUpPolicy.GMAIL_DRAFT:
            mailbox_of(ctx)  # before any draft exists: no Gmail, no draft to approve elsewhere
            step = FollowUpStep.MAILBOX_DRAFT
        else:
            step = FollowUpStep.APPROVAL
        if changed:
            repo.add_audit(
                session,
                actor=SYSTEM_ACTOR,
                action="followup_policy",
                call_id=call_id,
                detail={
                    "policy": policy.name.value,
                    "source": policy.source,
                    "next": step.value,
                    "no_followup_reason": call.no_followup_reason,
                },
            )
    log.info("follow-up policy %s (%s): %s", policy.name.value, policy.source, step.value)
    return step.value


def load_notice(ctx: ServiceContext, call_id: str) -> FollowUpNotice:
    """What a channel shows about a call that ended without a draft, read fresh."""
    with session_scope(ctx.engine) as session:
        call = repo.get_call(session, call_id=call_id)
        if call is None:
            raise WorkflowFailure(f"call {call_id} does not exist")
        items = repo.list_items(session, call_id=call_id)
        metadata = CallMetadata.model_validate(call.call_metadata, context=STORED)
        policy = stored_policy(call) or policy_for_call(ctx.settings, call)
        tracker_customer, _note = approval_customer(
            ctx.engine, call, tracker=ctx.adapters.tracker.name
        )
        return FollowUpNotice(
            call_id=call.id,
            call_title=call.title,
            call_date=call.call_date,
            customer=metadata.customer,
            summary=CallSummary.model_validate(call.summary or {"text": ""}),
            action_items=[repo.item_from_row(item) for item in items],
            issues=[repo.issue_from_row(item) for item in items],
            analyzer=call.analyzer or "",
            policy=policy,
            no_followup_reason=(
                call.no_followup_reason if policy.name != FollowUpPolicy.NONE else None
            ),
            drafted_anyway_by=call.drafted_anyway_by,
            ref=dict(call.followup_notice_ref or {}),
            tracker_customer=tracker_customer,
        )


@DBOS.step(name="announce_no_draft")
@observed("announce_no_draft")
async def announce_no_draft(ctx: ServiceContext, call_id: str) -> dict[str, str]:
    """Tell the channel the call has no draft and why; the call is then complete."""
    notice = load_notice(ctx, call_id)
    channel = ctx.adapters.approvals
    ref: dict[str, str] = {}
    if isinstance(channel, FollowUpNotifier):
        ref = await with_retries(
            lambda: channel.notify_no_draft(notice),
            what=f"telling the channel call {call_id} has no draft",
            policy=service_retry_policy(ctx.settings),
        )
    with session_scope(ctx.engine) as session:
        repo.set_notice_ref(session, call_id=call_id, ref=ref)
        repo.set_call_status(session, call_id=call_id, status=CallStatus.COMPLETED)
        repo.add_audit(
            session,
            actor=SYSTEM_ACTOR,
            action="no_draft",
            call_id=call_id,
            detail={
                "policy": notice.policy.name.value,
                "reason": notice.no_followup_reason,
                "channel": channel.name,
                **ref,
            },
        )
    return ref
