"""The Slack approval channel's settings: where requests go and who may decide."""

from __future__ import annotations

from dataclasses import dataclass, field

from cs_agent.core.domain import ApprovalRequest, FollowUpNotice


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


def customer_keys(request: ApprovalRequest | FollowUpNotice) -> list[str]:
    """The keys the customer is mapped under: its lower-cased name and domain."""
    customer = request.customer
    if customer is None:
        return []
    return [key.strip().lower() for key in (customer.name, customer.domain) if key]
