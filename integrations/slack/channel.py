"""Slack as the approval channel: one Block Kit message a draft, updated as the draft moves on.

The adapter posts and updates messages through slack_sdk's ``AsyncWebClient`` (given in
``__init__``; it opens an HTTP session per call, so it is safe on any event loop). Slack's
answers are translated into the shared error taxonomy (``integrations.slack_api``); the
callers retry. The listeners that receive clicks live in ``cs_agent.slack_app``; what they need
of the channel (who may decide, a word to one person, the modals) is here, behind the
``InteractiveApprovals`` port.

Exactly one message a draft, even across a crash: the message carries metadata naming its
draft, and before posting a new one the adapter looks for it in the channel's recent history.
So if a process dies after ``chat.postMessage`` and before the message's ``ts`` is stored, the
retried step finds the message and updates it instead of posting a second one. Reminders
work the same way in the request's thread: each carries metadata naming its draft and its
number, and is posted only if the thread (``conversations.replies``) has none like it yet.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import weakref
import zlib
from collections.abc import Callable
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from cs_agent.core.domain import (
    ApprovalRequest,
    DraftStatus,
    FollowUpDraft,
    FollowUpNotice,
    OverduePromise,
    Side,
)
from cs_agent.core.errors import ExternalError, RejectedInput, UnexpectedAnswer
from cs_agent.core.ids import call_status_url, inbox_call_url
from cs_agent.core.ports import ApprovalOutcome, CheckResult
from integrations.slack.answers import history_messages, posted_message, thread_page
from integrations.slack.api import SYSTEM, call_slack
from integrations.slack.blocks import (
    EVENT_TYPE,
    approval_message,
    edit_modal,
    failure_reply,
    mention,
    message_metadata,
    reject_modal,
    reminder_metadata,
    reminder_reply,
)
from integrations.slack.checks import check_slack
from integrations.slack.config import SlackConfig, customer_keys
from integrations.slack.people import SlackPeople
from integrations.slack.policy_blocks import NOTICE_EVENT_TYPE, notice_message, notice_metadata
from integrations.slack.promise_reminders import (
    promise_reminder_metadata,
    promise_reminder_text,
)

__all__ = ["SlackApprovalChannel", "SlackConfig"]

log = logging.getLogger(__name__)

_LOCK_STRIPES = 64
_THREAD_PAGE = 200
_THREAD_PAGES = 10
"""How much of a thread is read for an earlier reminder: 2,000 replies, far more than a
request's thread ever has (its reminders and failed sends)."""


class SlackApprovalChannel:
    """Posts approval requests to Slack and keeps each one up to date."""

    name = "slack"

    def __init__(
        self,
        client: AsyncWebClient,
        *,
        config: SlackConfig,
        load_request: Callable[[str], ApprovalRequest],
    ) -> None:
        self._client = client
        self._config = config
        self._load_request = load_request
        self._people = SlackPeople(client, config)
        self._identity: dict[str, Any] | None = None
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, list[asyncio.Lock]]
        self._locks = weakref.WeakKeyDictionary()

    @property
    def config(self) -> SlackConfig:
        """Where requests go and who may decide."""
        return self._config

    # --- the port -------------------------------------------------------------------------------

    async def request_approval(self, request: ApprovalRequest) -> dict[str, str]:
        """Post the request, or update it when the draft already has one (after an edit)."""
        ref = request.draft.approval_ref
        known = ref.get("channel") == self.name and ref.get("ts") and ref.get("slack_channel")
        owner = ref.get("owner") if known else await self._people.account_owner(request)
        text, blocks = self._render(request, owner)
        metadata = message_metadata(request)
        if known:
            channel_id, ts = ref["slack_channel"], ref["ts"]
            updated = await call_slack(
                "chat.update",
                lambda: self._client.chat_update(
                    channel=channel_id, ts=ts, text=text, blocks=blocks, metadata=metadata
                ),
                tolerate={"message_not_found"},
            )
            if updated is not None:
                return await self._ref(channel_id, ts, owner)
            log.warning(
                "the approval request of %s was deleted; posting it again", request.draft.id
            )
        target = self.channel_for(request)
        earlier = await self._find_posted(target, request.draft.id)
        if earlier is not None:
            await call_slack(
                "chat.update",
                lambda: self._client.chat_update(
                    channel=target, ts=earlier, text=text, blocks=blocks, metadata=metadata
                ),
            )
            return await self._ref(target, earlier, owner)
        posted = await call_slack(
            "chat.postMessage",
            lambda: self._client.chat_postMessage(
                channel=target,
                text=text,
                blocks=blocks,
                metadata=metadata,
                unfurl_links=False,
                unfurl_media=False,
            ),
        )
        try:
            message = posted_message(posted)
        except UnexpectedAnswer as odd:
            # Slack posted it but did not say where: the message carries its draft id, so
            # the channel's history tells us; a retried step would find it the same way.
            log.warning("%s; looking for the message in the channel", odd)
            found = await self._find_posted(target, request.draft.id)
            if found is None:
                raise odd from None
            return await self._ref(target, found, owner)
        return await self._ref(message.channel, message.ts, owner)

    async def notify_no_draft(self, notice: FollowUpNotice) -> dict[str, str]:
        """Post (or update) the message of a call that ended with no draft.

        Idempotent like ``request_approval``: a known ref is updated, and a notice posted just
        before a crash is found in the channel's history by its metadata (the call id).
        """
        text, blocks = notice_message(
            notice, call_url=call_status_url(self._config.public_url, notice.call_id)
        )
        metadata = notice_metadata(notice)
        ref = notice.ref
        target = ref.get("slack_channel") if ref.get("channel") == self.name else None
        ts = ref.get("ts") if target else None
        if target is None:
            target = self.channel_for(notice)
            ts = await self._find_posted(
                target, notice.call_id, event_type=NOTICE_EVENT_TYPE, key="call_id"
            )
        if ts is not None:
            channel_id, known_ts = target, ts
            await call_slack(
                "chat.update",
                lambda: self._client.chat_update(
                    channel=channel_id, ts=known_ts, text=text, blocks=blocks, metadata=metadata
                ),
            )
            return await self._ref(channel_id, known_ts, None)
        channel_id = target
        posted = await call_slack(
            "chat.postMessage",
            lambda: self._client.chat_postMessage(
                channel=channel_id,
                text=text,
                blocks=blocks,
                metadata=metadata,
                unfurl_links=False,
                unfurl_media=False,
            ),
        )
        message = posted_message(posted)
        return await self._ref(message.channel, message.ts, None)

    async def show_outcome(self, draft: FollowUpDraft, outcome: ApprovalOutcome) -> None:
        """Redraw the message from the draft's current state; on a failed send, say why in
        the thread with a Retry button."""
        ref = draft.approval_ref
        if ref.get("channel") != self.name or not ref.get("ts"):
            log.info("%s has no Slack message to update", draft.id)
            return
        channel_id, ts = ref["slack_channel"], ref["ts"]
        # One redraw at a time per draft, each from a fresh read: a slow "approved" redraw can
        # never land after (and hide) the "sent" one.
        async with self._lock_for(draft.id):
            # Reading the draft and building the blocks take milliseconds: off the event loop,
            # which must keep answering Slack's requests meanwhile.
            request, (text, blocks) = await asyncio.to_thread(
                self._load_and_render, draft.id, ref.get("owner")
            )
            await call_slack(
                "chat.update",
                lambda: self._client.chat_update(
                    channel=channel_id, ts=ts, text=text, blocks=blocks
                ),
            )
        if outcome.status == DraftStatus.FAILED.value:
            reason = outcome.detail or request.draft.failure_reason or "unknown error"
            reply_text, reply_blocks = failure_reply(request.draft, reason)
            await call_slack(
                "chat.postMessage",
                lambda: self._client.chat_postMessage(
                    channel=channel_id, thread_ts=ts, text=reply_text, blocks=reply_blocks
                ),
            )

    async def remind(
        self, request: ApprovalRequest, *, waited: dt.timedelta, number: int = 1
    ) -> None:
        """A reply in the request's thread, mentioning the account owner and the approvers.

        Posted only if the thread has no reminder ``number`` about this draft yet: after a
        crash between posting it and recording it, the step runs again and finds it.
        """
        ref = request.draft.approval_ref
        if ref.get("channel") != self.name or not ref.get("ts"):
            log.info("%s has no Slack message to remind about", request.draft.id)
            return
        channel_id, thread = ref["slack_channel"], ref["ts"]
        metadata = reminder_metadata(request.draft.id, number)
        if await self._in_thread(channel_id, thread, metadata):
            log.info(
                "reminder %d about %s is already in its thread; not posting it again",
                number,
                request.draft.id,
            )
            return
        text, blocks = reminder_reply(
            request,
            waited=waited,
            owner=ref.get("owner"),
            approvers=self._people.approver_mentions(),
        )
        await call_slack(
            "chat.postMessage",
            lambda: self._client.chat_postMessage(
                channel=channel_id, thread_ts=thread, text=text, blocks=blocks, metadata=metadata
            ),
        )

    async def remind_owner(self, promise: OverduePromise) -> None:
        """A reply in the call's approval thread telling the promise's owner it is overdue.

        Posted only if the thread has no reminder about this promise and due date yet.
        """
        ref = promise.followup_approval_ref
        if ref.get("channel") != self.name or not ref.get("ts"):
            log.info("promise %s has no Slack thread to be reminded in", promise.item_id)
            return
        channel_id, thread = ref["slack_channel"], ref["ts"]
        metadata = promise_reminder_metadata(promise)
        if await self._in_thread(channel_id, thread, metadata):
            log.info("the reminder about %s is already in its thread", promise.item_id)
            return
        mention = None
        if promise.owner_email and promise.side != Side.CUSTOMER:
            mention = await self._people.user_for_email(promise.owner_email)
        mention = f"<@{mention}>" if mention else None
        if mention is None and promise.side == Side.CUSTOMER and ref.get("owner"):
            mention = f"<@{ref['owner']}>"
        text = promise_reminder_text(promise, mention=mention)
        await call_slack(
            "chat.postMessage",
            lambda: self._client.chat_postMessage(
                channel=channel_id, thread_ts=thread, text=text, metadata=metadata
            ),
        )

    # --- used by the listeners (the InteractiveApprovals port) ---------------------------------

    async def is_approver(self, user_id: str) -> bool:
        """Whether ``user_id`` is a listed approver or a member of the approver group."""
        return await self._people.is_approver(user_id)

    def approvers_hint(self) -> str:
        """Who may decide, for the message a non-approver gets."""
        return self._people.approvers_hint()

    def mention(self, actor: str | None) -> str:
        """``<@U123>`` for a Slack actor (``slack:U123``), the escaped name for anyone else."""
        return mention(actor)

    async def tell(self, channel_id: str, user_id: str, text: str) -> None:
        """An ephemeral message only ``user_id`` sees."""
        await call_slack(
            "chat.postEphemeral",
            lambda: self._client.chat_postEphemeral(channel=channel_id, user=user_id, text=text),
        )

    async def open_edit_modal(
        self, trigger_id: str, draft: FollowUpDraft, *, channel_id: str
    ) -> None:
        """The Edit modal, prefilled with ``draft``, for the person who clicked."""
        inbox_url = inbox_call_url(self._config.public_url, draft.call_id)
        await self._open_modal(
            trigger_id, edit_modal(draft, channel_id=channel_id, inbox_url=inbox_url)
        )

    async def open_reject_modal(
        self, trigger_id: str, draft: FollowUpDraft, *, channel_id: str
    ) -> None:
        """The Reject modal, which asks for an optional reason, for the person who clicked."""
        await self._open_modal(trigger_id, reject_modal(draft, channel_id=channel_id))

    def channel_for(self, request: ApprovalRequest | FollowUpNotice) -> str:
        """The customer's own channel if mapped, else the default channel."""
        for key in customer_keys(request):
            if key in self._config.customer_channels:
                return self._config.customer_channels[key]
        if self._config.default_channel:
            return self._config.default_channel
        if request.tracker_customer is not None and request.tracker_customer.slack_channel_id:
            # No channel configured: the customer's own channel, as the tracker records it.
            return request.tracker_customer.slack_channel_id
        customer = request.customer.name if request.customer else "this call"
        raise RejectedInput(
            SYSTEM,
            f"no channel for {customer}: set CS_AGENT_SLACK_CHANNEL, or map the customer in "
            "CS_AGENT_SLACK_CUSTOMER_CHANNELS",
        )

    # --- doctor ---------------------------------------------------------------------------------

    async def check(self) -> list[CheckResult]:
        """Token, scopes, channel and approvers, checked against Slack."""
        return await check_slack(self._client, self._config, self._people, adapter=self.name)

    # --- internals ------------------------------------------------------------------------------

    async def _open_modal(self, trigger_id: str, view: dict[str, Any]) -> None:
        # The trigger expires 3 seconds after the click.
        await call_slack(
            "views.open", lambda: self._client.views_open(trigger_id=trigger_id, view=view)
        )

    def _lock_for(self, draft_id: str) -> asyncio.Lock:
        # A fixed set of locks per event loop, picked by the draft id: bounded memory, and an
        # asyncio lock is never shared between loops.
        locks = self._locks.setdefault(
            asyncio.get_running_loop(), [asyncio.Lock() for _ in range(_LOCK_STRIPES)]
        )
        return locks[zlib.crc32(draft_id.encode()) % _LOCK_STRIPES]

    def _load_and_render(
        self, draft_id: str, owner: str | None
    ) -> tuple[ApprovalRequest, tuple[str, list[dict[str, Any]]]]:
        request = self._load_request(draft_id)
        return request, self._render(request, owner)

    def _render(
        self, request: ApprovalRequest, owner: str | None
    ) -> tuple[str, list[dict[str, Any]]]:
        call_url = call_status_url(self._config.public_url, request.call_id)
        return approval_message(
            request,
            owner=owner,
            call_url=call_url,
            thread_note=request.draft.status == DraftStatus.FAILED,
        )

    async def _ref(self, channel_id: str, ts: str, owner: str | None) -> dict[str, str]:
        ref = {"channel": self.name, "slack_channel": channel_id, "ts": ts}
        identity = await self._whoami()
        if identity.get("url"):
            ref["permalink"] = (
                f"{str(identity['url']).rstrip('/')}/archives/{channel_id}/p{ts.replace('.', '')}"
            )
        if owner:
            ref["owner"] = owner
        return ref

    async def _whoami(self) -> dict[str, Any]:
        if self._identity is None:
            response = await call_slack("auth.test", self._client.auth_test)
            self._identity = dict(response.data) if isinstance(response.data, dict) else {}
        return self._identity

    async def _find_posted(
        self,
        channel_id: str,
        draft_id: str,
        *,
        event_type: str = EVENT_TYPE,
        key: str = "draft_id",
    ) -> str | None:
        """The ts of a request for ``draft_id`` this bot already posted in the channel, if any
        (or of another message of ours whose metadata ``event_type`` has ``key`` = that id)."""
        history = await call_slack(
            "conversations.history",
            lambda: self._client.conversations_history(
                channel=channel_id, limit=self._config.history_lookback, include_all_metadata=True
            ),
            tolerate={"missing_scope", "not_in_channel", "channel_not_found"},
        )
        if history is None:
            log.warning(
                "cannot read the history of %s, so a request posted just before a crash "
                "would be posted again: add the channels:history scope",
                channel_id,
            )
            return None
        messages = history_messages(history)
        if messages is None:
            return None
        bot_id = (await self._whoami()).get("bot_id")
        for message in messages:
            metadata = message.metadata
            if (
                metadata is not None
                and metadata.event_type == event_type
                and (metadata.event_payload or {}).get(key) == draft_id
                and (bot_id is None or message.bot_id == bot_id)
            ):
                log.info("found the approval request of %s already posted", draft_id)
                return message.ts
        return None

    async def _in_thread(self, channel_id: str, thread: str, metadata: dict[str, Any]) -> bool:
        """Whether this bot already posted a message with ``metadata`` in the thread.

        False when the thread cannot be read, or answers in a shape we do not expect: a
        second reminder is better than none, so the caller posts (and this logs why).
        """
        payload = metadata["event_payload"]
        cursor: str | None = None
        try:
            bot_id = (await self._whoami()).get("bot_id")
            for _ in range(_THREAD_PAGES):
                page = thread_page(await self._replies(channel_id, thread, cursor))
                if page.has(metadata["event_type"], payload, bot_id=bot_id):
                    return True
                cursor = page.next_cursor
                if cursor is None:
                    return False
        except (ExternalError, ValueError) as error:
            log.warning(
                "cannot read the thread of %s for an earlier reminder, so it is posted (a "
                "reminder posted just before a crash would show twice; the bot needs the "
                "channels:history or groups:history scope): %s",
                payload.get("draft_id"),
                error,
            )
            return False
        log.warning(
            "the thread of %s is longer than %d replies; the reminder is posted without "
            "looking further",
            payload.get("draft_id"),
            _THREAD_PAGE * _THREAD_PAGES,
        )
        return False

    async def _replies(self, channel_id: str, thread: str, cursor: str | None) -> Any:
        return await call_slack(
            "conversations.replies",
            lambda: self._client.conversations_replies(
                channel=channel_id,
                ts=thread,
                limit=_THREAD_PAGE,
                include_all_metadata=True,
                cursor=cursor,
            ),
        )
