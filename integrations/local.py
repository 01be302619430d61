"""The no-credentials adapters: a task list in the database, approvals in the database, an outbox.

They are real adapters, not test doubles: the same contract suites run against them as
against Linear, Slack and Gmail, and a team can run on them before wiring any service.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import os
import re
import tempfile
import uuid
from pathlib import Path

from sqlalchemy.engine import Engine

from cs_agent.core.domain import (
    ActionItem,
    ApprovalRequest,
    FollowUpDraft,
    FollowUpNotice,
    IssueRef,
    IssueState,
    OutgoingEmail,
    SentEmail,
    TrackerCustomer,
)
from cs_agent.core.ids import call_status_url, inbox_call_url
from cs_agent.core.ports import ApprovalOutcome, CallContext, CheckResult
from integrations.email_message import build_mime
from integrations.local_customers import LocalCustomers
from integrations.title_match import title_similarity
from storage import repo
from storage.db import session_scope
from storage.repo import promises as promise_rows


class LocalTaskTracker:
    """Files action items as rows of the ``local_tasks`` table (``LOCAL-1``, ``LOCAL-2`` …)."""

    name = "local"

    def __init__(self, engine: Engine, *, public_url: str, match_threshold: float = 0.6) -> None:
        self._engine = engine
        self._public_url = public_url.rstrip("/")
        self._match_threshold = match_threshold
        self._customers = LocalCustomers(engine)

    async def create_issue(
        self, item: ActionItem, *, issue_id: uuid.UUID, call: CallContext
    ) -> IssueRef:
        """Insert the task under ``issue_id``; a repeat returns the task the first call made."""
        description = item.description
        if item.quote:
            description = f"{description}\n\n> {item.quote}".strip()
        with session_scope(self._engine) as session:
            row, _created = repo.insert_local_task_if_absent(
                session,
                task_id=str(issue_id),
                title=item.title,
                description=description,
                customer=call.customer_name,
                assignee=item.owner.name if item.owner else None,
                due_date=item.due_date,
                priority=int(item.priority),
                call_id=call.call_id,
            )
            return self._ref(row.id, row.number, row.title)

    async def find_open_issues(
        self, *, query: str, customer: str | None, limit: int = 5
    ) -> list[IssueRef]:
        """Open local tasks whose titles share most of their words with ``query``.

        For ``customer``: the tasks filed for it (the list records each task's customer) and
        the tasks holding a need of it.
        """
        needed = (
            await asyncio.to_thread(self._customers.task_ids_with_needs, customer)
            if customer
            else None
        )
        with session_scope(self._engine) as session:
            rows = list(repo.list_local_tasks(session, customer=customer, state="open"))
            if needed:
                known = {row.id for row in rows}
                rows += [
                    row
                    for row in repo.list_local_tasks(session, state="open")
                    if row.id in needed and row.id not in known
                ]
        scored = sorted(
            ((title_similarity(query, row.title), row) for row in rows),
            key=lambda pair: pair[0],
            reverse=True,
        )
        return [
            self._ref(row.id, row.number, row.title, existing=True)
            for score, row in scored[:limit]
            if score >= self._match_threshold
        ]

    async def resolve_customer(
        self, *, domains: list[str], name: str | None, create: bool
    ) -> TrackerCustomer | None:
        """The local customer with one of ``domains``, else named ``name``; created if asked."""
        return await asyncio.to_thread(
            lambda: self._customers.resolve(domains=domains, name=name, create=create)
        )

    async def add_customer_need(
        self,
        issue: IssueRef,
        *,
        need_id: uuid.UUID,
        customer: TrackerCustomer,
        body: str,
        call: CallContext | None = None,
        said_at: float | None = None,
    ) -> None:
        """A need row of ``customer`` on the task under ``need_id`` (a repeat keeps one)."""
        await asyncio.to_thread(
            lambda: self._customers.add_need(
                issue, need_id=need_id, customer_id=customer.id, body=body
            )
        )

    async def attach_link(
        self, issue: IssueRef, *, url: str, title: str, subtitle: str | None = None
    ) -> None:
        """A link row on the task, one per URL."""
        await asyncio.to_thread(
            lambda: self._customers.attach(issue, url=url, title=title, subtitle=subtitle)
        )

    async def issue_states(
        self, issue_ids: list[str], *, updated_since: dt.datetime | None = None
    ) -> list[IssueState]:
        """Where each local task stands (``cs-agent tasks done/drop`` changes it). A read."""
        with session_scope(self._engine) as session:
            rows = promise_rows.local_tasks_by_id(session, task_ids=issue_ids)
            states = [promise_rows.local_issue_state(row) for row in rows]
        if updated_since is None:
            return states
        return [state for state in states if state.updated_at > updated_since]

    def _ref(self, task_id: str, number: int, title: str, *, existing: bool = False) -> IssueRef:
        return IssueRef(
            tracker=self.name,
            id=task_id,
            identifier=f"LOCAL-{number}",
            title=title,
            url=None,
            existing=existing,
        )


class LocalApprovalChannel:
    """Approvals kept in the database: people decide in the web inbox or with ``cs-agent drafts``."""

    name = "local"

    def __init__(self, *, public_url: str) -> None:
        self._public_url = public_url.rstrip("/")

    async def request_approval(self, request: ApprovalRequest) -> dict[str, str]:
        """Nothing to post: the pending draft in the database is the request. Says where to act."""
        draft_id = request.draft.id
        return {
            "channel": self.name,
            "approve": f"cs-agent drafts approve {draft_id}",
            "reject": f"cs-agent drafts reject {draft_id}",
            "show": f"cs-agent drafts show {draft_id}",
            "status_url": call_status_url(self._public_url, request.call_id),
            "inbox_url": inbox_call_url(self._public_url, request.call_id),
        }

    async def notify_no_draft(self, notice: FollowUpNotice) -> dict[str, str]:
        """Nothing to post: the call's page says there is no draft, and why. Says where."""
        return {
            "channel": self.name,
            "status_url": call_status_url(self._public_url, notice.call_id),
            "inbox_url": inbox_call_url(self._public_url, notice.call_id),
        }

    async def show_outcome(self, draft: FollowUpDraft, outcome: ApprovalOutcome) -> None:
        """The audit log and ``cs-agent drafts show`` already say what happened; nothing to do."""
        return None

    async def remind(
        self, request: ApprovalRequest, *, waited: dt.timedelta, number: int = 1
    ) -> None:
        """Nowhere to post: the reminder is in the audit log, and the inbox shows the draft."""
        return None


class OutboxMailer:
    """Writes each follow-up as an ``.eml`` file (RFC 5322) in the outbox folder.

    The file name comes from the Message-ID, so a message can exist once at most, and the
    write is atomic (temporary file, then rename): a crash leaves either nothing or the file.
    """

    name = "outbox"

    def __init__(self, outbox_dir: Path) -> None:
        self._dir = outbox_dir

    async def check(self) -> list[CheckResult]:
        """``cs-agent doctor``: the outbox folder exists (or can be made) and takes files."""

        try:
            await asyncio.to_thread(self._probe)
        except OSError as error:
            return [
                CheckResult(
                    port="mailer",
                    adapter=self.name,
                    ok=False,
                    detail=f"cannot write to {self._dir}: {error.strerror or error}",
                    fix="make the folder writable for this user, or set CS_AGENT_DATA_DIR",
                )
            ]
        return [
            CheckResult(
                port="mailer",
                adapter=self.name,
                ok=True,
                detail=f"emails are written to {self._dir} (no Gmail credentials or SMTP URL "
                "set); nothing is sent",
            )
        ]

    def _probe(self) -> None:
        self._dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=self._dir, prefix=".doctor-"):
            pass

    def path_for(self, message_id: str) -> Path:
        """Where the message with ``message_id`` is (or would be) written."""
        digest = hashlib.sha256(message_id.encode()).hexdigest()[:16]
        local = re.sub(r"[^A-Za-z0-9.-]", "", message_id.split("@")[0]).strip(".")[:40]
        return self._dir / f"{local or 'message'}-{digest}.eml"

    async def send(self, email: OutgoingEmail) -> SentEmail:
        """Write the message; if it is already there, report the earlier one."""
        return await asyncio.to_thread(self._write, email)

    async def find_sent(self, message_id: str) -> SentEmail | None:
        """The outbox file for ``message_id``, if it was written."""
        path = self.path_for(message_id)
        if not path.exists():
            return None
        return SentEmail(message_id=message_id, provider_message_id=path.name, location=str(path))

    def _write(self, email: OutgoingEmail) -> SentEmail:
        self._dir.mkdir(parents=True, exist_ok=True)
        path = self.path_for(email.message_id)
        data = build_mime(email).as_bytes()
        fd, tmp = tempfile.mkstemp(dir=self._dir, prefix=".sending-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            # link() fails if the file exists, unlike replace(): two racing sends write one file.
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)
        finally:
            os.unlink(tmp)
        return SentEmail(
            message_id=email.message_id, provider_message_id=path.name, location=str(path)
        )
