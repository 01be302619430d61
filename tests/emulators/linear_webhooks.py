"""Linear's webhook deliveries, built and signed the way Linear sends them.

Written from Linear's documentation, apart from the server's code: the body is
``{action, type, data, updatedFrom, url, createdAt, webhookTimestamp, webhookId, actor}``,
signed with ``Linear-Signature`` = hex HMAC-SHA256 of the raw body under the webhook's secret,
with ``Linear-Delivery`` (a UUID a delivery) and ``Linear-Event`` (the type) beside it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Delivery:
    """One delivery: its raw body and headers."""

    body: bytes
    headers: dict[str, str]


def issue_event(
    issue: dict[str, Any],
    *,
    action: str = "update",
    previous_state_id: str | None = None,
    actor: str = "Dana Reyes",
    at_ms: int | None = None,
) -> dict[str, Any]:
    """An ``Issue`` event for ``issue`` as the Linear emulator holds it."""
    now_ms = at_ms if at_ms is not None else int(time.time() * 1000)
    return {
        "action": action,
        "type": "Issue",
        "data": {
            "id": issue["id"],
            "identifier": issue["identifier"],
            "title": issue["title"],
            "number": issue.get("number"),
            "state": dict(issue["state"]),
            "stateId": issue["state"]["id"],
            "teamId": issue["team"]["id"],
            "updatedAt": issue.get("updatedAt") or dt.datetime.now(dt.UTC).isoformat(),
            "createdAt": issue.get("createdAt"),
        },
        "updatedFrom": {"stateId": previous_state_id or str(uuid.uuid4())},
        "url": issue.get("url"),
        "createdAt": dt.datetime.fromtimestamp(now_ms / 1000, dt.UTC).isoformat(),
        "webhookTimestamp": now_ms,
        "webhookId": "3c7d7c3c-0c2e-4a53-a5f4-2b0e6c9f9b11",
        "organizationId": "org-1",
        "actor": {"id": "user-dana", "name": actor, "type": "user"},
    }


def customer_need_event(need_id: str, issue_id: str, *, action: str = "update") -> dict[str, Any]:
    """A ``CustomerNeed`` event naming the issue the need is attached to."""
    now_ms = int(time.time() * 1000)
    return {
        "action": action,
        "type": "CustomerNeed",
        "data": {"id": need_id, "issueId": issue_id, "customerId": str(uuid.uuid4())},
        "url": None,
        "createdAt": dt.datetime.now(dt.UTC).isoformat(),
        "webhookTimestamp": now_ms,
        "webhookId": "3c7d7c3c-0c2e-4a53-a5f4-2b0e6c9f9b11",
        "organizationId": "org-1",
    }


def signed(event: dict[str, Any], *, secret: str, delivery_id: str | None = None) -> Delivery:
    """``event`` as Linear delivers it: the raw body and its signed headers."""
    body = json.dumps(event, separators=(",", ":")).encode()
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return Delivery(
        body=body,
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "Linear-Signature": signature,
            "Linear-Delivery": delivery_id or str(uuid.uuid4()),
            "Linear-Event": str(event["type"]),
            "User-Agent": "Linear-Webhook",
        },
    )
