"""The people around a Slack approval request: who may decide, and which account owner
to mention.

Approvers are listed user IDs or members of a user group (its members cached for a minute);
the account owner is configured for the customer (a user ID or an email), else the owner of
the customer's record in the tracker, else our first attendee of the call, found by email (each
address looked up once).
"""

from __future__ import annotations

import logging
import time

from slack_sdk.web.async_client import AsyncWebClient

from cs_agent.core.domain import ApprovalRequest, Side
from cs_agent.core.errors import ExternalError
from integrations.slack.answers import looked_up_user
from integrations.slack.api import call_slack
from integrations.slack.config import SlackConfig, customer_keys

log = logging.getLogger(__name__)


class SlackPeople:
    """Approvers and account owners, looked up in Slack and remembered."""

    def __init__(self, client: AsyncWebClient, config: SlackConfig) -> None:
        self._client = client
        self._config = config
        self._emails: dict[str, str | None] = {}
        self._group: tuple[float, frozenset[str]] | None = None

    async def is_approver(self, user_id: str) -> bool:
        """Whether ``user_id`` is a listed approver or a member of the approver group."""
        if user_id in self._config.approvers:
            return True
        if self._config.approver_group:
            return user_id in await self.group_members()
        return False

    def approver_mentions(self) -> list[str]:
        """The approvers as Slack mentions: each listed user, then the group."""
        people = [f"<@{user}>" for user in sorted(self._config.approvers)]
        if self._config.approver_group:
            people.append(f"<!subteam^{self._config.approver_group}>")
        return people

    def approvers_hint(self) -> str:
        """Who may decide, for the message a non-approver gets."""
        people = self.approver_mentions()
        if not people:
            return (
                "No approvers are configured: set CS_AGENT_SLACK_APPROVERS "
                "or CS_AGENT_SLACK_APPROVER_GROUP."
            )
        return "Approvers: " + ", ".join(people) + "."

    async def account_owner(self, request: ApprovalRequest) -> str | None:
        """The Slack user to mention: configured for the customer, else our first attendee."""
        configured = next(
            (
                self._config.account_owners[k]
                for k in customer_keys(request)
                if k in self._config.account_owners
            ),
            None,
        )
        if configured and "@" not in configured:
            return configured
        known = request.tracker_customer
        # The account's owner as the tracker records it comes before our first attendee.
        configured = configured or (known.owner_email if known is not None else None)
        email = configured or next(
            (a.email for a in request.attendees if a.side == Side.US and a.email), None
        )
        if not email:
            return None
        key = email.lower()
        if key not in self._emails:
            try:
                found = await call_slack(
                    "users.lookupByEmail",
                    lambda: self._client.users_lookupByEmail(email=email),
                    tolerate={"users_not_found"},
                )
            except ExternalError as error:
                if error.transient:
                    raise
                log.warning("cannot look up %s in Slack: %s", email, error)
                return None
            self._emails[key] = looked_up_user(found) if found is not None else None
        return self._emails[key]

    async def user_for_email(self, email: str) -> str | None:
        """The Slack user id of ``email`` (cached), or None when Slack does not know it."""
        key = email.lower()
        if key not in self._emails:
            try:
                found = await call_slack(
                    "users.lookupByEmail",
                    lambda: self._client.users_lookupByEmail(email=email),
                    tolerate={"users_not_found"},
                )
            except ExternalError as error:
                if error.transient:
                    raise
                log.warning("cannot look up %s in Slack: %s", email, error)
                return None
            self._emails[key] = looked_up_user(found) if found is not None else None
        return self._emails[key]

    async def group_members(self, *, fresh: bool = False) -> frozenset[str]:
        """The approver group's members (none without a group); ``fresh`` skips the cache."""
        group = self._config.approver_group
        if group is None:
            return frozenset()
        now = time.monotonic()
        if not fresh and self._group and now - self._group[0] < self._config.group_cache_seconds:
            return self._group[1]
        response = await call_slack(
            "usergroups.users.list", lambda: self._client.usergroups_users_list(usergroup=group)
        )
        members = frozenset(str(user) for user in response.get("users") or [])
        self._group = (now, members)
        return members
