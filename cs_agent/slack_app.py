"""The Slack listeners: Approve, Edit, Reject and Retry clicks, and the two modals.

A slack-bolt ``AsyncApp`` for the runtime's approval channel when people answer it in place
(the ``InteractiveApprovals`` port: Slack's adapter, which also opens the modals and answers
privately). Requests reach it at ``POST /slack/events`` (Bolt checks the signature and the
5-minute timestamp window before any listener runs) or over Socket Mode. Every listener
acknowledges first (Slack allows 3 seconds) and then decides through
``cs_agent.services.approvals``, the same functions the CLI uses: a decision is one
conditional update, so a double click or a replayed request decides once.

Kept in one module (about 500 lines) because the listeners share one ``Interactions`` object
and the Bolt wiring that registers them; splitting them would scatter that registration.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request, Response
from slack_bolt.adapter.fastapi.async_handler import AsyncSlackRequestHandler
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from cs_agent import slack_gate
from cs_agent.bootstrap.runtime import Runtime
from cs_agent.core.domain import DraftStatus, FollowUpDraft
from cs_agent.core.errors import ExternalError
from cs_agent.core.ports import InteractiveApprovals
from cs_agent.core.slack_ids import (
    APPROVE,
    DRAFT_ANYWAY,
    EDIT,
    EDIT_VIEW,
    REJECT,
    REJECT_VIEW,
    RETRY,
    ButtonValue,
    EditSubmission,
    read_edit_submission,
    slack_actor,
)
from cs_agent.services import approvals, draft_anyway
from storage import repo
from storage.db import session_scope

log = logging.getLogger(__name__)

EDITABLE = (DraftStatus.PENDING, DraftStatus.FAILED)
Ack = Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class Click:
    """A button click on one of our messages."""

    user_id: str
    channel_id: str
    trigger_id: str
    value: ButtonValue

    @property
    def actor(self) -> str:
        """How the audit log names the person."""
        return slack_actor(self.user_id)


class Interactions:
    """What each click and modal submission does."""

    def __init__(self, runtime: Runtime, channel: InteractiveApprovals) -> None:
        self._runtime = runtime
        self._channel = channel
        self._approvals: OrderedDict[tuple[str, int], asyncio.Task[approvals.Decision | str]]
        self._approvals = OrderedDict()

    # --- buttons --------------------------------------------------------------------------------

    async def approve(self, click: Click) -> None:
        """Approve & send: decide, which starts the one send.

        Clicks on the same draft version share one decision in this process (the first
        click's), so a burst of duplicates costs no database work; across processes the
        conditional update in ``approvals.approve`` is what keeps it to one. A duplicate gets
        no answer of its own: the message already shows who approved.
        """
        if not await self._allowed(click, "approve"):
            return
        key = (click.value.draft_id, click.value.version)
        decision = self._approvals.get(key)
        if decision is None:
            decision = asyncio.ensure_future(self._decide(click))
            self._approvals[key] = decision
            while len(self._approvals) > _REMEMBERED_DECISIONS:
                self._approvals.popitem(last=False)
        try:
            outcome = await asyncio.shield(decision)
        except Exception:
            self._approvals.pop(key, None)
            log.exception("approving %s failed", click.value.draft_id)
            return
        if isinstance(outcome, str):
            self._approvals.pop(key, None)  # refusals depend on the state: look again next time
            await self._tell(click.channel_id, click.user_id, f"Nothing was sent: {outcome}.")

    async def _decide(self, click: Click) -> approvals.Decision | str:
        try:
            return await approvals.approve(
                self._runtime,
                draft_id=click.value.draft_id,
                actor=click.actor,
                version=click.value.version,
            )
        except approvals.DecisionRefused as refused:
            return str(refused)

    async def edit(self, click: Click) -> None:
        """Edit: open the modal, prefilled with the version the person saw."""
        if not await self._allowed(click, "edit"):
            return
        draft = self._draft(click.value.draft_id)
        problem = self._cannot_change(draft, click.value.version, "edited")
        if problem or draft is None:
            await self._tell(click.channel_id, click.user_id, problem or "No such draft.")
            return
        await self._channel.open_edit_modal(click.trigger_id, draft, channel_id=click.channel_id)

    async def reject(self, click: Click) -> None:
        """Reject: open the modal that asks for an optional reason."""
        if not await self._allowed(click, "reject"):
            return
        draft = self._draft(click.value.draft_id)
        problem = self._cannot_change(draft, click.value.version, "rejected")
        if problem or draft is None:
            await self._tell(click.channel_id, click.user_id, problem or "No such draft.")
            return
        await self._channel.open_reject_modal(click.trigger_id, draft, channel_id=click.channel_id)

    async def retry(self, click: Click) -> None:
        """Retry (in the thread of a failed send): send the same version again, once."""
        if not await self._allowed(click, "retry"):
            return
        try:
            await approvals.retry(
                self._runtime,
                draft_id=click.value.draft_id,
                actor=click.actor,
                version=click.value.version,
            )
        except approvals.DecisionRefused as refused:
            await self._tell(click.channel_id, click.user_id, f"Not retried: {refused}.")

    async def draft_anyway(self, user_id: str, channel_id: str, call_id: str) -> None:
        """Draft one anyway (on a "no follow-up needed" message): approvers only; a double
        click drafts once (one conditional update on the call)."""
        actor = slack_actor(user_id)
        if not await self._is_approver(user_id):
            with session_scope(self._runtime.engine) as session:
                repo.add_audit(
                    session,
                    actor=actor,
                    action="refused",
                    call_id=call_id,
                    detail={"attempted": "draft_anyway", "reason": "not an approver"},
                )
            await self._tell(
                channel_id,
                user_id,
                f"{_NOT_AN_APPROVER} Nothing changed. {self._channel.approvers_hint()}",
            )
            return
        result = await draft_anyway.request_draft_anyway(self._runtime, call_id, actor=actor)
        if not result.started:
            await self._tell(channel_id, user_id, f"No new draft: {result.detail}.")

    # --- modals ---------------------------------------------------------------------------------
    # Each submission is checked before the answer (errors appear inline in the modal) and
    # applied after it; ``approvals`` checks the draft's state again when applying.

    async def check_edit(self, user_id: str, view: dict[str, Any]) -> dict[str, str]:
        """Inline errors for an Edit submission (empty when it can be saved)."""
        try:
            edited = read_edit_submission(view)
        except (KeyError, ValueError) as error:
            log.warning("unreadable edit submission: %s", error)
            return {}
        return await self._edit_errors(user_id, edited)

    async def apply_edit(self, user_id: str, view: dict[str, Any]) -> None:
        """Save a valid Edit submission as the draft's next version; the message follows."""
        try:
            edited = read_edit_submission(view)
        except (KeyError, ValueError):
            return
        draft = self._draft(edited.draft_id)
        if draft is None:
            return
        try:
            decision = await approvals.edit(
                self._runtime,
                draft_id=edited.draft_id,
                actor=slack_actor(user_id),
                expected_version=edited.version,
                subject=edited.subject,
                body=edited.body if edited.body is not None else draft.body,
                to=edited.to,
                cc=edited.cc,
            )
        except approvals.DecisionRefused as refused:
            await self._tell(edited.channel_id, user_id, f"Your edit was not saved: {refused}.")
        except ExternalError as error:
            await self._tell(
                edited.channel_id,
                user_id,
                f"Your edit was saved, but the message could not be updated ({error}).",
            )
        else:
            log.info("%s edited to version %d", edited.draft_id, decision.draft.version)

    async def check_reject(self, user_id: str, view: dict[str, Any]) -> dict[str, str]:
        """Inline errors for a Reject submission: only approvers may reject."""
        draft_id = _view_draft(view)
        if draft_id is None or await self._is_approver(user_id):
            return {}
        self._audit_refusal(draft_id, slack_actor(user_id), "reject")
        return {"reason": _NOT_AN_APPROVER}

    async def apply_reject(self, user_id: str, view: dict[str, Any]) -> None:
        """Reject with the reason given (if any)."""
        draft_id = _view_draft(view)
        if draft_id is None:
            return
        channel_id = str(json.loads(view.get("private_metadata") or "{}").get("channel", ""))
        entry = view.get("state", {}).get("values", {}).get("reason", {}).get("value", {})
        reason = (entry.get("value") or "").strip() or None
        try:
            await approvals.reject(
                self._runtime, draft_id=draft_id, actor=slack_actor(user_id), reason=reason
            )
        except approvals.DecisionRefused as refused:
            await self._tell(channel_id, user_id, f"Not rejected: {refused}.")

    # --- helpers --------------------------------------------------------------------------------

    async def _edit_errors(self, user_id: str, edited: EditSubmission) -> dict[str, str]:
        if not await self._is_approver(user_id):
            self._audit_refusal(edited.draft_id, slack_actor(user_id), "edit")
            return {"subject": _NOT_AN_APPROVER}
        draft = self._draft(edited.draft_id)
        problem = self._cannot_change(draft, edited.version, "edited")
        if problem or draft is None:
            return {"subject": problem or "This draft no longer exists."}
        problems = approvals.validate_email_fields(
            subject=edited.subject,
            body=edited.body if edited.body is not None else draft.body,
            to=edited.to,
            cc=edited.cc,
        )
        shown = {"to", "cc", "subject"} | ({"body"} if edited.body is not None else set())
        return {(name if name in shown else "subject"): text for name, text in problems.items()}

    async def _allowed(self, click: Click, attempted: str) -> bool:
        try:
            allowed = await self._channel.is_approver(click.user_id)
        except ExternalError as error:
            await self._tell(
                click.channel_id,
                click.user_id,
                f"Could not check who may approve ({error}); nothing changed. Try again.",
            )
            return False
        if allowed:
            return True
        self._audit_refusal(click.value.draft_id, click.actor, attempted)
        await self._tell(
            click.channel_id,
            click.user_id,
            f"{_NOT_AN_APPROVER} Nothing changed. {self._channel.approvers_hint()}",
        )
        return False

    async def _is_approver(self, user_id: str) -> bool:
        try:
            return await self._channel.is_approver(user_id)
        except ExternalError as error:
            log.warning("cannot check whether %s may approve: %s", user_id, error)
            return False

    def _audit_refusal(self, draft_id: str, actor: str, attempted: str) -> None:
        with session_scope(self._runtime.engine) as session:
            row = repo.get_draft(session, draft_id=draft_id)
            repo.add_audit(
                session,
                actor=actor,
                action="refused",
                call_id=row.call_id if row else None,
                draft_id=draft_id,
                detail={"attempted": attempted, "reason": "not an approver"},
            )

    def _cannot_change(self, draft: FollowUpDraft | None, version: int, verb: str) -> str | None:
        if draft is None:
            return "This draft no longer exists."
        if draft.status not in EDITABLE:
            who = f" by {self._channel.mention(draft.decided_by)}" if draft.decided_by else ""
            return f"This draft was already {draft.status.value}{who}; it can no longer be {verb}."
        if draft.version != version:
            return (
                f"The draft was edited since (now version {draft.version}); "
                "the message shows the latest version."
            )
        return None

    def _draft(self, draft_id: str) -> FollowUpDraft | None:
        with session_scope(self._runtime.engine) as session:
            row = repo.get_draft(session, draft_id=draft_id)
            return repo.draft_from_row(row) if row else None

    async def _tell(self, channel_id: str, user_id: str, text: str) -> None:
        if not channel_id:
            log.info("not telling %s (no channel): %s", user_id, text)
            return
        try:
            await self._channel.tell(channel_id, user_id, text)
        except ExternalError as error:
            log.warning("could not tell %s %r: %s", user_id, text, error)


_NOT_AN_APPROVER = "You are not an approver for follow-up emails."
_REMEMBERED_DECISIONS = 1024


def _view_draft(view: dict[str, Any]) -> str | None:
    try:
        return str(json.loads(view.get("private_metadata") or "{}")["draft"])
    except (KeyError, ValueError):
        log.warning("ignoring a modal submission we cannot read")
        return None


def _click(body: dict[str, Any]) -> Click | None:
    try:
        action = body["actions"][0]
        value = ButtonValue.decode(str(action.get("value", "")))
    except (KeyError, IndexError, ValueError) as error:
        log.warning("ignoring a click we cannot read: %s", error)
        return None
    container = body.get("container") or {}
    channel_id = container.get("channel_id") or (body.get("channel") or {}).get("id") or ""
    return Click(
        user_id=str(body["user"]["id"]),
        channel_id=str(channel_id),
        trigger_id=str(body.get("trigger_id", "")),
        value=value,
    )


def build_bolt_app(
    runtime: Runtime,
    channel: InteractiveApprovals,
    *,
    bot_token: str,
    signing_secret: str | None,
) -> AsyncApp:
    """The Bolt app with our listeners. Without a signing secret it only serves Socket Mode.

    Each listener answers Slack at once (with inline errors for a modal) and leaves the work
    to a task of its own. With ``process_before_response`` Bolt returns the answer as soon as
    the listener returns, instead of polling for the ack every 10 ms; the task is ours rather
    than a Bolt "lazy" listener, which would deep-copy the whole request first.
    """
    app = AsyncApp(
        client=AsyncWebClient(token=bot_token, base_url=runtime.settings.slack_api_url),
        signing_secret=signing_secret or "",
        request_verification_enabled=signing_secret is not None,
        process_before_response=True,
        logger=logging.getLogger("slack_bolt"),
    )
    interactions = Interactions(runtime, channel)
    running: set[asyncio.Future[Any]] = set()

    def keep(task: asyncio.Future[Any]) -> None:
        # The event loop keeps only weak references to tasks: hold them until they finish.
        running.add(task)
        task.add_done_callback(running.discard)

    def on_click(work: Callable[[Click], Awaitable[None]]) -> Callable[..., Awaitable[None]]:
        async def listener(ack: Ack, body: dict[str, Any]) -> None:
            await ack()
            click = _click(body)
            if click is not None:
                keep(asyncio.ensure_future(work(click)))

        return listener

    for action_id, work in (
        (APPROVE, interactions.approve),
        (EDIT, interactions.edit),
        (REJECT, interactions.reject),
        (RETRY, interactions.retry),
    ):
        app.action(action_id)(on_click(work))

    async def on_draft_anyway(ack: Ack, body: dict[str, Any]) -> None:
        await ack()
        try:
            call_id = str(body["actions"][0]["value"])
            user_id = str(body["user"]["id"])
        except (KeyError, IndexError, TypeError):
            log.warning("ignoring a Draft one anyway click we cannot read")
            return
        container = body.get("container") or {}
        channel_id = str(container.get("channel_id") or (body.get("channel") or {}).get("id") or "")
        keep(asyncio.ensure_future(interactions.draft_anyway(user_id, channel_id, call_id)))

    app.action(DRAFT_ANYWAY)(on_draft_anyway)

    def on_submit(
        check: Callable[[str, dict[str, Any]], Awaitable[dict[str, str]]],
        apply: Callable[[str, dict[str, Any]], Awaitable[None]],
    ) -> Callable[..., Awaitable[None]]:
        async def answer(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
            user_id = str(body["user"]["id"])
            errors = await check(user_id, view)
            if errors:
                await ack(response_action="errors", errors=errors)
                return
            await ack()
            keep(asyncio.ensure_future(apply(user_id, view)))

        return answer

    app.view(EDIT_VIEW)(on_submit(interactions.check_edit, interactions.apply_edit))
    app.view(REJECT_VIEW)(on_submit(interactions.check_reject, interactions.apply_reject))
    return app


class SlackEndpoint:
    """Where Slack's requests come in: the HTTP route, Socket Mode, or both."""

    def __init__(
        self,
        runtime: Runtime,
        channel: InteractiveApprovals,
        *,
        bot_token: str,
        signing_secret: str | None,
        app_token: str | None,
    ) -> None:
        self.bolt = build_bolt_app(
            runtime, channel, bot_token=bot_token, signing_secret=signing_secret
        )
        self._app_token = app_token
        self._api_url = runtime.settings.slack_api_url
        self._socket: AsyncSocketModeHandler | None = None
        self.router: APIRouter | None = None
        if signing_secret is not None:
            handler = AsyncSlackRequestHandler(self.bolt)
            secret = signing_secret
            router = APIRouter(tags=["slack"])

            @router.post("/slack/events", summary="Slack interactivity (signed by Slack)")
            async def slack_events(request: Request) -> Response:
                """Button clicks and modal submissions from Slack."""
                refused = await slack_gate.refuse(request, secret)
                if refused is not None:
                    return refused
                return await handler.handle(request)

            self.router = router

    async def start(self) -> None:
        """Connect over Socket Mode when it is configured."""
        if self._app_token is None:
            return
        self._socket = AsyncSocketModeHandler(
            self.bolt,
            app_token=self._app_token,
            web_client=AsyncWebClient(token=self._app_token, base_url=self._api_url),
        )
        await self._socket.connect_async()  # type: ignore[no-untyped-call]
        log.info("connected to Slack over Socket Mode")

    async def stop(self) -> None:
        """Disconnect Socket Mode."""
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]
            self._socket = None


def slack_endpoint(runtime: Runtime) -> SlackEndpoint | None:
    """The endpoint for the runtime's Slack adapter; None when approvals are not on Slack."""
    channel = runtime.adapters.approvals
    settings = runtime.settings
    if not isinstance(channel, InteractiveApprovals) or settings.slack_bot_token is None:
        return None
    secret = settings.slack_signing_secret
    app_token = settings.slack_app_token if settings.slack_socket_mode else None
    return SlackEndpoint(
        runtime,
        channel,
        bot_token=settings.slack_bot_token.get_secret_value(),
        signing_secret=secret.get_secret_value() if secret else None,
        app_token=app_token.get_secret_value() if app_token else None,
    )
