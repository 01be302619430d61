"""How a call's follow-up is handled: the policy, where it came from, and the overrides.

A team sets one policy for every call (``CS_AGENT_FOLLOWUP_POLICY``) and may override it per
customer: by email domain, by customer name, or by the customer's tier (``tier:<name>``).
Nothing here sends anything: every policy leaves sending to a person.
"""

from __future__ import annotations

import json
from enum import StrEnum

from pydantic import BaseModel


class FollowUpPolicy(StrEnum):
    """What happens to the follow-up email once a call's items are filed."""

    APPROVAL = "approval"
    """The draft waits for a person's Approve in Slack, the inbox or the CLI (the default)."""
    GMAIL_DRAFT = "gmail-draft"
    """The draft is placed in the sender's Gmail, in the customer's thread, for them to send."""
    NONE = "none"
    """No email: items are filed, nothing is drafted."""


POLICY_NAMES = ", ".join(policy.value for policy in FollowUpPolicy)

TIER_PREFIX = "tier:"
"""An override key for a customer tier (``tier:enterprise``), as the tracker records it."""


class PolicyChoice(BaseModel):
    """The policy in force for one call and where it came from (a setting, an override)."""

    name: FollowUpPolicy
    source: str
    """``default``, ``CS_AGENT_FOLLOWUP_POLICY``, or the override that matched
    (``override domain acme.com``, ``override name Acme``, ``override tier:enterprise``)."""


def parse_policy(value: str, *, where: str) -> FollowUpPolicy:
    """``value`` as a policy; anything else is an error naming ``where`` and the choices."""
    try:
        return FollowUpPolicy(value.strip().lower())
    except ValueError:
        raise ValueError(f"{where}: {value!r} is not a policy; use one of {POLICY_NAMES}") from None


def parse_overrides(value: object) -> dict[str, FollowUpPolicy]:
    """Overrides from JSON (``{"acme.com": "none"}``) or ``key=policy`` pairs, comma separated.

    Keys are lower-cased (a domain, a customer name, or ``tier:<name>``); a bad policy or a
    part without ``=`` is an error naming the key or the part.
    """
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return {}
        if text.startswith("{"):
            try:
                value = json.loads(text)
            except json.JSONDecodeError as error:
                raise ValueError(f"not valid JSON at column {error.colno}: {error.msg}") from None
        else:
            pairs: dict[str, str] = {}
            for part in (p.strip() for p in text.split(",")):
                if not part:
                    continue
                key, sep, policy = part.partition("=")
                if not sep or not key.strip():
                    raise ValueError(f"{part!r}: expected key=policy (a domain, a name or tier:X)")
                pairs[key] = policy
            value = pairs
    if not isinstance(value, dict):
        raise ValueError("expected a JSON object or key=policy pairs")
    overrides: dict[str, FollowUpPolicy] = {}
    for key, policy in value.items():
        name = str(key).strip().lower()
        if not name or name == TIER_PREFIX:
            raise ValueError(f"{key!r}: an override needs a domain, a customer name or tier:NAME")
        if isinstance(policy, FollowUpPolicy):
            overrides[name] = policy
        else:
            overrides[name] = parse_policy(str(policy), where=f"override {key!r}")
    return overrides


def resolve_policy(
    default: PolicyChoice,
    overrides: dict[str, FollowUpPolicy],
    *,
    customer_name: str | None,
    customer_domain: str | None,
    tier: str | None = None,
) -> PolicyChoice:
    """The policy for a call with this customer: the most specific override, else ``default``.

    A domain is the most specific (it names one account exactly), then the name, then the tier.
    """
    candidates = [
        ("domain", customer_domain),
        ("name", customer_name),
        ("tier", f"{TIER_PREFIX}{tier}" if tier else None),
    ]
    for kind, key in candidates:
        if not key:
            continue
        policy = overrides.get(key.strip().lower())
        if policy is not None:
            label = key.strip() if kind == "tier" else f"{kind} {key.strip()}"
            return PolicyChoice(name=policy, source=f"override {label}")
    return default
