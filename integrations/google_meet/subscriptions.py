"""The Workspace Events subscription that announces Meet transcripts: one a target (a user's
meetings, or a space's), delivering ``google.workspace.meet.transcript.v2.fileGenerated`` to a
Pub/Sub topic. Subscriptions expire (a few days without the resource in the payload): asking
again renews the existing one (its TTL set anew; reactivated when suspended) rather than
creating a second, which Google refuses with ALREADY_EXISTS anyway."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from cs_agent.core.errors import UnexpectedAnswer
from cs_agent.core.sources import EventSubscription
from integrations.google_meet.auth import MeetIdentity
from integrations.google_meet.client import SYSTEM, build_service, call_google
from integrations.google_meet.source import parse_time

TRANSCRIPT_GENERATED = "google.workspace.meet.transcript.v2.fileGenerated"
OPERATION_WAIT_SECONDS = 30.0


def target_resource(target: str) -> str:
    """The full resource name of a target: ``spaces/…`` a meeting space, else a user's id."""
    if target.startswith("//"):
        return target
    if target.startswith("spaces/"):
        return f"//meet.googleapis.com/{target}"
    return f"//cloudidentity.googleapis.com/users/{target.removeprefix('users/')}"


class MeetSubscriptions:
    """``subscriptions.list``/``create``/``patch``/``reactivate`` of the Workspace Events API."""

    def __init__(self, identity: MeetIdentity, *, api_url: str, timeout: float = 30.0) -> None:
        self._identity = identity
        self._api_url = api_url
        self._timeout = timeout

    async def subscribe(self, *, target: str, topic: str) -> EventSubscription:
        """Create the subscription for ``target``, or renew the one there is."""
        return await asyncio.to_thread(self._subscribe, target_resource(target), topic)

    def _call(self, operation: Any, what: str) -> Any:
        return call_google(operation, what=what, fix=self._identity.fix())

    def _subscribe(self, resource: str, topic: str) -> EventSubscription:
        events = build_service(
            "workspaceevents",
            "v1",
            self._identity.credentials,
            api_url=self._api_url,
            timeout=self._timeout,
        )
        subscriptions = events.subscriptions()
        found = self._call(
            lambda: subscriptions.list(
                filter=f'event_types:"{TRANSCRIPT_GENERATED}" AND target_resource="{resource}"'
            ).execute(),
            "listing Workspace Events subscriptions",
        )
        existing = (found.get("subscriptions") or [None])[0]
        if existing is None:
            body = {
                "targetResource": resource,
                "eventTypes": [TRANSCRIPT_GENERATED],
                "notificationEndpoint": {"pubsubTopic": topic},
                "payloadOptions": {"includeResource": False},
            }
            operation = self._call(
                lambda: subscriptions.create(body=body).execute(), "creating the subscription"
            )
            return self._result(events, operation, resource, created=True)
        name = existing["name"]
        if existing.get("state") == "SUSPENDED":
            operation = self._call(
                lambda: subscriptions.reactivate(name=name, body={}).execute(),
                f"reactivating {name}",
            )
        else:
            operation = self._call(
                lambda: subscriptions.patch(
                    name=name, updateMask="ttl", body={"ttl": "0s"}
                ).execute(),
                f"renewing {name}",
            )
        return self._result(events, operation, resource, created=False)

    def _result(
        self, events: Any, operation: dict[str, Any], resource: str, *, created: bool
    ) -> EventSubscription:
        deadline = time.monotonic() + OPERATION_WAIT_SECONDS
        while not operation.get("done"):
            if time.monotonic() > deadline:
                raise UnexpectedAnswer(SYSTEM, f"operation {operation.get('name')} did not finish")
            time.sleep(1.0)
            name = operation["name"]
            operation = self._call(
                lambda n=name: events.operations().get(name=n).execute(), f"reading {name}"
            )
        if operation.get("error"):
            message = operation["error"].get("message", "the operation failed")
            raise UnexpectedAnswer(SYSTEM, f"the subscription was not made: {message}")
        response = operation.get("response") or {}
        if not response.get("name"):
            raise UnexpectedAnswer(SYSTEM, "the operation's response names no subscription")
        return EventSubscription(
            name=response["name"],
            target=response.get("targetResource") or resource,
            state=response.get("state"),
            expire_time=parse_time(response.get("expireTime")),
            created=created,
        )
