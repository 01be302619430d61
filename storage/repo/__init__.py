"""Small keyword-only functions over the tables. Every write the product makes goes through here.

Each function takes an open session and leaves committing to the caller (``session_scope``),
so a caller can make several writes atomic. Conditional updates (``transition_draft``) are
single UPDATE statements with the expected state in the WHERE clause: that, not a lock held
in Python, is what makes a double click safe across processes.

The functions live in one module per aggregate (``calls``, ``drafts``, ``audit``, ``journals``,
``reports``) and are all importable from here, so callers write ``repo.get_call(...)``.
"""

from __future__ import annotations

from storage.repo.access import (
    add_web_session,
    call_with_signature,
    claim_signature,
    get_web_session,
    revoke_stale_web_sessions,
    revoke_web_session,
)
from storage.repo.audit import add_audit, audit_exists, list_audit
from storage.repo.calls import (
    PurgeCandidate,
    calls_with_transcripts_before,
    count_calls,
    get_call,
    insert_call_if_absent,
    issue_from_row,
    item_from_row,
    list_calls,
    list_items,
    purge_transcript,
    record_issue,
    save_analysis,
    set_call_status,
)
from storage.repo.drafts import (
    AuditDetail,
    DraftTransition,
    Revision,
    claim_reminder,
    draft_from_row,
    drafts_due_a_reminder,
    find_drafts_by_prefix,
    get_draft,
    get_draft_for_call,
    insert_draft_if_absent,
    list_drafts,
    revise_draft,
    revision,
    set_approval_ref,
    transition_draft,
    transition_draft_audited,
)
from storage.repo.followups import (
    claim_draft_anyway,
    drafts_in_gmail,
    record_policy,
    set_notice_ref,
)
from storage.repo.journals import (
    begin_mail_delivery,
    finish_mail_delivery,
    forget_mail_delivery,
    get_mail_delivery,
    insert_local_task_if_absent,
    list_local_tasks,
)
from storage.repo.reports import (
    TOKEN_KINDS,
    CostLine,
    MetricsSnapshot,
    costs_by_call,
    costs_by_customer,
    list_calls_with_drafts,
    metrics_snapshot,
)

__all__ = [
    "TOKEN_KINDS",
    "AuditDetail",
    "CostLine",
    "DraftTransition",
    "MetricsSnapshot",
    "PurgeCandidate",
    "Revision",
    "add_audit",
    "add_web_session",
    "audit_exists",
    "begin_mail_delivery",
    "call_with_signature",
    "calls_with_transcripts_before",
    "claim_draft_anyway",
    "claim_reminder",
    "claim_signature",
    "costs_by_call",
    "costs_by_customer",
    "count_calls",
    "draft_from_row",
    "drafts_due_a_reminder",
    "drafts_in_gmail",
    "find_drafts_by_prefix",
    "finish_mail_delivery",
    "forget_mail_delivery",
    "get_call",
    "get_draft",
    "get_draft_for_call",
    "get_mail_delivery",
    "get_web_session",
    "insert_call_if_absent",
    "insert_draft_if_absent",
    "insert_local_task_if_absent",
    "issue_from_row",
    "item_from_row",
    "list_audit",
    "list_calls",
    "list_calls_with_drafts",
    "list_drafts",
    "list_items",
    "list_local_tasks",
    "metrics_snapshot",
    "purge_transcript",
    "record_issue",
    "record_policy",
    "revise_draft",
    "revision",
    "revoke_stale_web_sessions",
    "revoke_web_session",
    "save_analysis",
    "set_approval_ref",
    "set_call_status",
    "set_notice_ref",
    "transition_draft",
    "transition_draft_audited",
]

# Customers as trackers know them (the cache, and the local task list's own).
from storage.repo.customers import (
    cache_tracker_customer,
    cached_tracker_customer,
    insert_local_customer_if_absent,
    insert_local_need_if_absent,
    is_fresh,
    list_local_customers,
    list_local_needs,
    list_local_task_links,
    upsert_local_task_link,
)

__all__ += [
    "cache_tracker_customer",
    "cached_tracker_customer",
    "insert_local_customer_if_absent",
    "insert_local_need_if_absent",
    "is_fresh",
    "list_local_customers",
    "list_local_needs",
    "list_local_task_links",
    "upsert_local_task_link",
]
