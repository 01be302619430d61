"""Every id, Message-ID and link cs-agent derives, in one place.

Ids are derived, not drawn: the same call, item or draft version always gets the same id, which
is how retries (of a webhook, a click, a crashed step) find the work already done instead of
doing it twice.
"""

from __future__ import annotations

import hashlib
import uuid
from email.utils import parseaddr

SYSTEM_ACTOR = "cs-agent"
"""Who the audit log names for what cs-agent's own steps did."""

ITEM_NAMESPACE = uuid.UUID("6f1b0b4e-8c3a-4c1e-9d0e-5a2f7c9e1b42")

INBOX_PATH = "/inbox"
"""Where the web inbox is mounted."""


def call_id_from_identity(identity: str) -> str:
    """A call's id from what identifies it (idempotency key, source id or content hash)."""
    return "call-" + hashlib.sha256(identity.encode()).hexdigest()[:20]


def draft_id_for(call_id: str) -> str:
    """A call has one draft; its id is derived from the call's."""
    return "draft-" + call_id.removeprefix("call-")


def call_id_of_draft(draft_id: str) -> str:
    """The call a draft belongs to (the inverse of ``draft_id_for``)."""
    return "call-" + draft_id.removeprefix("draft-")


def item_id_for(call_id: str, position: int, title: str) -> str:
    """The id of an action item, which is also the issue id the tracker is asked to use."""
    return str(uuid.uuid5(ITEM_NAMESPACE, f"{call_id}:{position}:{title.strip().lower()}"))


def message_id_for(*, draft_id: str, version: int, sender: str) -> str:
    """A deterministic RFC 5322 Message-ID for one version of a draft.

    The same draft version always gets the same id, which is how a retried send finds out
    whether the first attempt went through.
    """
    domain = parseaddr(sender)[1].rpartition("@")[2] or "cs-agent.invalid"
    digest = hashlib.sha256(f"{draft_id}:{version}".encode()).hexdigest()[:24]
    return f"<cs-agent.{digest}@{domain}>"


def process_call_workflow_id(call_id: str) -> str:
    """The workflow id of a call's processing: one per call, so repeats dedupe."""
    return f"process-call:{call_id}"


def send_followup_workflow_id(draft_id: str, version: int, *, attempt: int = 0) -> str:
    """The workflow id of sending one version of a draft: ten clicks, one send.

    ``attempt`` counts explicit retries after a failed send; each retry is a workflow of its own
    (same version, so same Message-ID: the mailer's lookup still keeps it to one email).
    """
    base = f"send-followup:{draft_id}:v{version}"
    return f"{base}:retry{attempt}" if attempt else base


def zoom_workflow_id(meeting_uuid: str) -> str:
    """One ingestion a meeting: Zoom's retries of the same event collapse into it."""
    return f"zoom-transcript:{meeting_uuid}"


def remind_workflow_id(draft_id: str) -> str:
    """One reminder a draft, ever: the scheduler's repeated passes collapse into it."""
    return f"remind-draft:{draft_id}"


def call_status_path(call_id: str) -> str:
    """The API path of a call's status."""
    return f"/v1/calls/{call_id}"


def call_status_url(public_url: str, call_id: str) -> str:
    """The absolute API URL of a call's status."""
    return f"{public_url.rstrip('/')}{call_status_path(call_id)}"


def inbox_call_url(public_url: str, call_id: str, *, anchor: str | None = "draft") -> str:
    """The absolute URL of a call's page in the web inbox (at its draft by default)."""
    url = f"{public_url.rstrip('/')}{INBOX_PATH}/calls/{call_id}"
    return f"{url}#{anchor}" if anchor else url


# --- promises -------------------------------------------------------------------------------------


def customer_key(*, name: str | None, domain: str | None, call_id: str) -> str:
    """Who an update is for: the customer's name (case ignored), its domain, or the call alone."""
    if name and name.strip():
        return "name:" + " ".join(name.split()).casefold()
    if domain and domain.strip():
        return "domain:" + domain.strip().casefold()
    return "call:" + call_id


def update_draft_id_for(customer: str, first_item_id: str) -> str:
    """An update draft's id, from its customer and the first promise it told about: a step
    run again after a crash finds the draft it made."""
    digest = hashlib.sha256(f"{customer}:{first_item_id}".encode()).hexdigest()[:20]
    return f"update-{digest}"


def promise_update_workflow_id(item_id: str) -> str:
    """One 'tell the customer' workflow a kept promise: every report of the change collapses."""
    return f"promise-update:{item_id}"


def promise_reminder_workflow_id(item_id: str, due_date: str) -> str:
    """One overdue reminder a promise and due date, whichever worker or tick gets there first."""
    return f"remind-promise:{item_id}:{due_date}"


def reconcile_workflow_id(tick: str) -> str:
    """One reconcile a schedule tick, however many workers fire it."""
    return f"reconcile-promises:{tick}"


def inbox_promises_url(public_url: str) -> str:
    """The absolute URL of the inbox's Promises page."""
    return f"{public_url.rstrip('/')}{INBOX_PATH}/promises"


def draft_anyway_workflow_id(call_id: str) -> str:
    """The workflow that drafts a follow-up the analysis found unneeded: one a call, ever."""
    return f"draft-anyway:{call_id}"


def mailbox_reconcile_workflow_id(draft_id: str) -> str:
    """The workflow that checks whether a draft left in a mailbox has been sent."""
    return f"mailbox-reconcile:{draft_id}"


def source_workflow_id(source: str, source_id: str) -> str:
    """One ingestion a call of a transcript source: repeated announcements collapse into it."""
    return f"source-transcript:{source}:{source_id}"
