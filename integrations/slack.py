"""Slack as the approval channel: one Block Kit message a draft, updated as the draft moves on.

The adapter posts and updates messages through slack_sdk's ``AsyncWebClient`` (given in
``__init__``; it opens an HTTP session per call, so it is safe on any event loop). Slack's
answers are translated into the shared error taxonomy; the callers retry. The listeners that
receive clicks live in ``integrations.slack_app``.

Exactly one message a draft, even across a crash: the message carries metadata naming its
draft, and before posting a new one the adapter looks for it in the channel's recent history.
So if a process dies after ``chat.postMessage`` and before the message's ``ts`` is stored, the
retried step finds the message and updates it instead of posting a second one.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
import weakref
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from cs_agent.core.domain import ApprovalRequest, DraftStatus, FollowUpDraft, Side
from cs_agent.core.errors import (
    ExternalError,
    RateLimited,
    RejectedInput,
    Unauthorized,
    Unavailable,
    parse_retry_after,
)
from cs_agent.core.ids import call_status_url
from cs_agent.core.ports import ApprovalOutcome, CheckResult
from integrations.slack_blocks import (
    EVENT_TYPE,
    approval_message,
    failure_reply,
    message_metadata,
    reminder_reply,
)

log = logging.getLogger(__name__)

SYSTEM = "slack"
_LOCK_STRIPES = 64
_AUTH_ERRORS = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "missing_scope",
        "no_permission",
        "not_allowed_token_type",
        "ekm_access_denied",
    }
)
_TRANSIENT_ERRORS = frozenset(
    {"internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
REQUIRED_SCOPES = ("chat:write",)
RECOMMENDED_SCOPES = {
    "channels:history": "finding an approval request again after a crash (public channels)",
    "groups:history": "the same in private channels",
    "users:read.email": "mentioning the account owner by email",
}


@dataclass(frozen=True)
class SlackConfig:
    """Where requests go and who may decide, from the settings."""

    default_channel: str | None = None
    customer_channels: dict[str, str] = field(default_factory=dict)
    """Lower-cased customer name or domain → channel ID."""
    approvers: frozenset[str] = frozenset()
    approver_group: str | None = None
    account_owners: dict[str, str] = field(default_factory=dict)
    """Lower-cased customer name or domain → Slack user ID or email."""
    public_url: str = "http://127.0.0.1:8000"
    group_cache_seconds: float = 60.0
    history_lookback: int = 200
    """How many recent messages of a channel to search for a request posted before a crash."""


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
        self._identity: dict[str, Any] | None = None
        self._emails: dict[str, str | None] = {}
        self._group: tuple[float, frozenset[str]] | None = None
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, list[asyncio.Lock]]
        self._locks = weakref.WeakKeyDictionary()

    @property
    def client(self) -> AsyncWebClient:
        """The Web API client (the listeners' Bolt app uses the same one)."""
        return self._client

    @property
    def config(self) -> SlackConfig:
        """Where requests go and who may decide."""
        return self._config

    # --- the port -------------------------------------------------------------------------------

    async def request_approval(self, request: ApprovalRequest) -> dict[str, str]:
        """Post the request, or update it when the draft already has one (after an edit)."""
        ref = request.draft.approval_ref
        known = ref.get("channel") == self.name and ref.get("ts") and ref.get("slack_channel")
        owner = ref.get("owner") if known else await self._account_owner(request)
        text, blocks = self._render(request, owner)
        metadata = message_metadata(request)
        if known:
            channel_id, ts = ref["slack_channel"], ref["ts"]
            updated = await self._api(
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
            await self._api(
                "chat.update",
                lambda: self._client.chat_update(
                    channel=target, ts=earlier, text=text, blocks=blocks, metadata=metadata
                ),
            )
            return await self._ref(target, earlier, owner)
        posted = await self._api(
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
        return await self._ref(str(posted["channel"]), str(posted["ts"]), owner)

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
            await self._api(
                "chat.update",
                lambda: self._client.chat_update(
                    channel=channel_id, ts=ts, text=text, blocks=blocks
                ),
            )
        if outcome.status == DraftStatus.FAILED.value:
            reason = outcome.detail or request.draft.failure_reason or "unknown error"
            reply_text, reply_blocks = failure_reply(request.draft, reason)
            await self._api(
                "chat.postMessage",
                lambda: self._client.chat_postMessage(
                    channel=channel_id, thread_ts=ts, text=reply_text, blocks=reply_blocks
                ),
            )

    async def remind(self, request: ApprovalRequest, *, waited: dt.timedelta) -> None:
        """A reply in the request's thread, mentioning the account owner and the approvers."""
        ref = request.draft.approval_ref
        if ref.get("channel") != self.name or not ref.get("ts"):
            log.info("%s has no Slack message to remind about", request.draft.id)
            return
        text, blocks = reminder_reply(
            request, waited=waited, owner=ref.get("owner"), approvers=self._approver_mentions()
        )
        await self._api(
            "chat.postMessage",
            lambda: self._client.chat_postMessage(
                channel=ref["slack_channel"], thread_ts=ref["ts"], text=text, blocks=blocks
            ),
        )

    # --- used by the listeners ------------------------------------------------------------------

    async def is_approver(self, user_id: str) -> bool:
        """Whether ``user_id`` is a listed approver or a member of the approver group."""
        if user_id in self._config.approvers:
            return True
        if self._config.approver_group:
            return user_id in await self._group_members()
        return False

    def _approver_mentions(self) -> list[str]:
        people = [f"<@{user}>" for user in sorted(self._config.approvers)]
        if self._config.approver_group:
            people.append(f"<!subteam^{self._config.approver_group}>")
        return people

    def approvers_hint(self) -> str:
        """Who may decide, for the message a non-approver gets."""
        people = self._approver_mentions()
        if not people:
            return (
                "No approvers are configured: set CS_AGENT_SLACK_APPROVERS "
                "or CS_AGENT_SLACK_APPROVER_GROUP."
            )
        return "Approvers: " + ", ".join(people) + "."

    async def tell(self, channel_id: str, user_id: str, text: str) -> None:
        """An ephemeral message only ``user_id`` sees."""
        await self._api(
            "chat.postEphemeral",
            lambda: self._client.chat_postEphemeral(channel=channel_id, user=user_id, text=text),
        )

    async def open_modal(self, trigger_id: str, view: dict[str, Any]) -> None:
        """Open a modal for the person who clicked (the trigger expires after 3 seconds)."""
        await self._api(
            "views.open", lambda: self._client.views_open(trigger_id=trigger_id, view=view)
        )

    def channel_for(self, request: ApprovalRequest) -> str:
        """The customer's own channel if mapped, else the default channel."""
        for key in _customer_keys(request):
            if key in self._config.customer_channels:
                return self._config.customer_channels[key]
        if self._config.default_channel:
            return self._config.default_channel
        customer = request.customer.name if request.customer else "this call"
        raise RejectedInput(
            SYSTEM,
            f"no channel for {customer}: set CS_AGENT_SLACK_CHANNEL, or map the customer in "
            "CS_AGENT_SLACK_CUSTOMER_CHANNELS",
        )

    # --- doctor ---------------------------------------------------------------------------------

    async def check(self) -> list[CheckResult]:
        """Token, scopes, channel and approvers, checked against Slack."""

        def result(ok: bool, detail: str, fix: str | None = None) -> CheckResult:
            return CheckResult(port="approvals", adapter=self.name, ok=ok, detail=detail, fix=fix)

        try:
            auth = await self._api("auth.test", self._client.auth_test)
        except Unauthorized as error:
            return [result(False, str(error), "check CS_AGENT_SLACK_BOT_TOKEN (xoxb-…)")]
        except ExternalError as error:
            return [
                result(
                    False,
                    str(error),
                    "check that this host reaches Slack (CS_AGENT_SLACK_API_URL, proxies)",
                )
            ]
        results = [result(True, f"bot {auth.get('user')} in workspace {auth.get('team')}")]
        granted = {s.strip() for s in str(auth.headers.get("x-oauth-scopes", "")).split(",")}
        granted.discard("")
        needed = [*REQUIRED_SCOPES, *RECOMMENDED_SCOPES]
        if self._config.approver_group:
            needed.append("usergroups:read")
        results.append(
            result(
                True,
                f"scopes granted: {', '.join(sorted(granted)) or 'none'}; "
                f"needed: {', '.join(needed)}",
            )
        )
        missing = [s for s in REQUIRED_SCOPES if s not in granted]
        if missing:
            results.append(
                result(
                    False,
                    "missing scopes: " + ", ".join(missing),
                    "add them under OAuth & Permissions (or from slack-app-manifest.yml) and "
                    "reinstall the app",
                )
            )
        for scope, why in RECOMMENDED_SCOPES.items():
            if scope not in granted:
                results.append(
                    result(
                        False,
                        f"missing scope {scope} ({why})",
                        "add it under OAuth & Permissions and reinstall the app",
                    )
                )
        mapped = len(self._config.customer_channels)
        if self._config.default_channel or mapped:
            where = self._config.default_channel or "no default channel"
            results.append(result(True, f"requests go to {where}; {mapped} customers mapped"))
        else:
            results.append(
                result(False, "no channel configured", "set CS_AGENT_SLACK_CHANNEL to a channel ID")
            )
        if not (self._config.approvers or self._config.approver_group):
            results.append(
                result(
                    False,
                    "nobody may approve",
                    "set CS_AGENT_SLACK_APPROVERS (user IDs) or CS_AGENT_SLACK_APPROVER_GROUP",
                )
            )
        if self._config.approver_group:
            try:
                members = await self._group_members(fresh=True)
                results.append(result(True, f"approver group has {len(members)} members"))
            except ExternalError as error:
                results.append(result(False, str(error), "add the usergroups:read scope"))
        return results

    # --- internals ------------------------------------------------------------------------------

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
            response = await self._api("auth.test", self._client.auth_test)
            self._identity = dict(response.data) if isinstance(response.data, dict) else {}
        return self._identity

    async def _find_posted(self, channel_id: str, draft_id: str) -> str | None:
        """The ts of a request for ``draft_id`` this bot already posted in the channel, if any."""
        history = await self._api(
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
        bot_id = (await self._whoami()).get("bot_id")
        for message in history.get("messages") or []:
            metadata = message.get("metadata") or {}
            if (
                metadata.get("event_type") == EVENT_TYPE
                and (metadata.get("event_payload") or {}).get("draft_id") == draft_id
                and (bot_id is None or message.get("bot_id") == bot_id)
            ):
                log.info("found the approval request of %s already posted", draft_id)
                return str(message["ts"])
        return None

    async def _account_owner(self, request: ApprovalRequest) -> str | None:
        """The Slack user to mention: configured for the customer, else our first attendee."""
        configured = next(
            (
                self._config.account_owners[k]
                for k in _customer_keys(request)
                if k in self._config.account_owners
            ),
            None,
        )
        if configured and "@" not in configured:
            return configured
        email = configured or next(
            (a.email for a in request.attendees if a.side == Side.US and a.email), None
        )
        if not email:
            return None
        key = email.lower()
        if key not in self._emails:
            try:
                found = await self._api(
                    "users.lookupByEmail",
                    lambda: self._client.users_lookupByEmail(email=email),
                    tolerate={"users_not_found"},
                )
            except ExternalError as error:
                if error.transient:
                    raise
                log.warning("cannot look up %s in Slack: %s", email, error)
                return None
            self._emails[key] = str(found["user"]["id"]) if found is not None else None
        return self._emails[key]

    async def _group_members(self, *, fresh: bool = False) -> frozenset[str]:
        group = self._config.approver_group
        if group is None:
            return frozenset()
        now = time.monotonic()
        if not fresh and self._group and now - self._group[0] < self._config.group_cache_seconds:
            return self._group[1]
        response = await self._api(
            "usergroups.users.list", lambda: self._client.usergroups_users_list(usergroup=group)
        )
        members = frozenset(str(user) for user in response.get("users") or [])
        self._group = (now, members)
        return members

    async def _api(
        self,
        method: str,
        call: Callable[[], Awaitable[AsyncSlackResponse]],
        *,
        tolerate: frozenset[str] | set[str] = frozenset(),
    ) -> Any:
        """Make one Web API call; Slack's errors become the shared taxonomy.

        Returns None for an error code in ``tolerate`` (the caller has a plan for it).
        """
        try:
            return await call()
        except SlackApiError as error:
            code = _error_code(error)
            if code in tolerate:
                return None
            raise translate_error(method, error) from None
        except (aiohttp.ClientError, TimeoutError) as error:
            raise Unavailable(SYSTEM, f"{method}: {type(error).__name__}: {error}") from None


def _customer_keys(request: ApprovalRequest) -> list[str]:
    customer = request.customer
    if customer is None:
        return []
    return [key.strip().lower() for key in (customer.name, customer.domain) if key]


def _error_code(error: SlackApiError) -> str:
    data = error.response.data if error.response is not None else None
    if isinstance(data, dict):
        return str(data.get("error") or "unknown_error")
    return "unknown_error"


def translate_error(method: str, error: SlackApiError) -> ExternalError:
    """Slack's ``ok: false`` answers (and HTTP errors) as the shared error kinds."""
    response = error.response
    status = response.status_code if response is not None else 0
    code = _error_code(error)
    data = response.data if response is not None and isinstance(response.data, dict) else {}
    if status == 429 or code == "ratelimited":
        header = response.headers.get("Retry-After") if response is not None else None
        return RateLimited(SYSTEM, f"{method}: rate limited", retry_after=parse_retry_after(header))
    if code in _AUTH_ERRORS or status in (401, 403):
        needed = f" (needs {data['needed']})" if data.get("needed") else ""
        return Unauthorized(SYSTEM, f"{method}: {code}{needed}")
    if status >= 500 or code in _TRANSIENT_ERRORS:
        return Unavailable(SYSTEM, f"{method}: {code} (HTTP {status})")
    messages = (data.get("response_metadata") or {}).get("messages") or []
    detail = f": {'; '.join(str(m) for m in messages)}" if messages else ""
    return RejectedInput(SYSTEM, f"{method}: {code}{detail}")
