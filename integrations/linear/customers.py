"""Linear's customers, customer needs and attachments, for the Linear task tracker.

- A call's customer is found by the email domains of its people (``Customer.domains``), then
  by name, and created (when asked) under an id derived from its name, so a retried create
  finds the first one instead of making a second.
- A filed issue gets a customer need under an id the caller derives from the action item: a
  second create with that id is refused by Linear, and the refusal is followed by reading the
  need back by id, so a retry after a timeout or a lost answer leaves exactly one need.
- Its link back to the call is an attachment, which Linear keeps once per (issue, URL): a
  repeat updates it.
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

from cs_agent.core.domain import IssueRef, TrackerCustomer
from cs_agent.core.errors import RejectedInput, UnexpectedAnswer
from cs_agent.core.ports import CallContext
from integrations.linear import answers
from integrations.linear.client import LinearClient
from integrations.linear.errors import SYSTEM
from integrations.linear.markdown import cut, one_line
from integrations.linear.need import need_body

log = logging.getLogger(__name__)

CUSTOMER_NAMESPACE = uuid.UUID("5b0c8f4e-3a52-4d0e-9a43-7f1d6c2e8b10")
NAME_TTL = 600.0  # seconds a by-name look-up (for the dedupe search) is remembered
ATTACHMENT_TITLE_LIMIT = 255


def as_uuid4(value: uuid.UUID) -> str:
    """``value`` stamped as a version-4 UUID: Linear documents its ids as "UUID v4"."""
    return str(uuid.UUID(bytes=value.bytes, version=4))


def customer_id_for(name: str) -> str:
    """The id a customer cs-agent creates gets in Linear: derived from its name."""
    return as_uuid4(uuid.uuid5(CUSTOMER_NAMESPACE, one_line(name).casefold()))


def tracker_customer(node: answers.Customer) -> TrackerCustomer:
    """A Linear customer as the domain knows it."""
    owner = node.owner
    tier = node.tier
    return TrackerCustomer(
        id=node.id,
        name=node.name,
        domains=list(node.domains),
        owner_name=owner.name if owner else None,
        owner_email=owner.email if owner else None,
        slack_channel_id=node.slackChannelId or None,
        tier=(tier.displayName or tier.name) if tier else None,
        url=node.url,
    )


class LinearCustomers:
    """Customers, their needs and issue links on Linear's API."""

    def __init__(self, client: LinearClient) -> None:
        self._client = client
        self._by_name: dict[str, tuple[float, TrackerCustomer]] = {}

    async def resolve(
        self, *, domains: list[str], name: str | None, create: bool
    ) -> TrackerCustomer | None:
        """The customer with any of ``domains``, else named ``name``; created if asked."""
        wanted = sorted({d.strip().lower() for d in domains if d and d.strip()})
        found = await self._find(wanted, name)
        if found is None and create:
            found = await self._create(wanted, name)
        if found is not None and name and one_line(name):
            # The analysis of the next call searches by the call's customer name, which may not
            # be the name the customer has in Linear.
            self._by_name[one_line(name).casefold()] = (time.monotonic(), found)
        return found

    async def _create(self, wanted: list[str], name: str | None) -> TrackerCustomer | None:
        label = one_line(name or "") or (wanted[0] if wanted else "")
        if not label:
            return None
        customer_id = customer_id_for(label)
        try:
            data = await self._client.execute(
                "CreateCustomer",
                {"input": {"id": customer_id, "name": cut(label, 255), "domains": wanted}},
            )
        except RejectedInput as refused:
            # Made by an earlier attempt or another worker a moment ago (same id, or a domain
            # now taken): whoever won is the answer.
            again = await self._by_id(customer_id) or await self._find(wanted, name)
            if again is not None:
                return again
            if refused.field == "domains" and wanted:
                # Linear takes apex domains only (an address at eu.acme.com gives a subdomain):
                # the customer without them beats no customer.
                log.warning("Linear refused the domains %s: %s; creating without", wanted, refused)
                return await self._create([], label)
            raise
        try:
            created = answers.read(answers.CreateCustomer, data, operation="CreateCustomer")
        except UnexpectedAnswer as odd:
            log.warning("%s; reading the customer back by id", odd)
            again = await self._by_id(customer_id)
            if again is None:
                raise odd from None
            return again
        node = created.customerCreate.customer
        if node is None:
            again = await self._by_id(customer_id)
            if again is None:
                raise RejectedInput(SYSTEM, f"customerCreate did not create {label!r}")
            return again
        log.info("created the Linear customer %r", node.name)
        return tracker_customer(node)

    async def by_name(self, name: str) -> TrackerCustomer | None:
        """The customer named ``name`` (case ignored); one found is remembered for a few minutes.

        A miss is not remembered: a customer someone adds in Linear counts from the next search.
        """
        key = one_line(name).casefold()
        now = time.monotonic()
        cached = self._by_name.get(key)
        if cached is not None and now - cached[0] < NAME_TTL:
            return cached[1]
        found = await self._named(name)
        if found is not None:
            self._by_name[key] = (now, found)
        return found

    async def add_need(
        self,
        issue: IssueRef,
        *,
        need_id: uuid.UUID,
        customer: TrackerCustomer,
        words: str,
        call: CallContext | None,
        said_at: float | None,
    ) -> None:
        """A customer need on ``issue`` under ``need_id``: created once, whatever the retries."""
        linear_id = as_uuid4(need_id)
        need_input: dict[str, Any] = {
            "id": linear_id,
            "customerId": customer.id,
            "issueId": issue.id,
            "body": need_body(words, call, said_at=said_at),
            "priority": 0,
        }
        try:
            data = await self._client.execute("CreateCustomerNeed", {"input": need_input})
        except RejectedInput:
            if await self._need_exists(linear_id):
                log.info("the customer need on %s already exists", issue.identifier)
                return
            raise
        try:
            payload = answers.read(answers.CreateCustomerNeed, data, operation="CreateCustomerNeed")
        except UnexpectedAnswer as odd:
            if await self._need_exists(linear_id):
                return
            raise odd from None
        if not payload.customerNeedCreate.success and not await self._need_exists(linear_id):
            raise RejectedInput(
                SYSTEM, f"customerNeedCreate did not add a need to {issue.identifier}"
            )

    async def attach(
        self, issue: IssueRef, *, url: str, title: str, subtitle: str | None = None
    ) -> None:
        """Link ``url`` from ``issue``; Linear keeps one attachment per (issue, URL)."""
        attachment: dict[str, Any] = {
            "issueId": issue.id,
            "url": url,
            "title": cut(one_line(title), ATTACHMENT_TITLE_LIMIT) or "Customer call",
        }
        if subtitle:
            attachment["subtitle"] = cut(one_line(subtitle), ATTACHMENT_TITLE_LIMIT)
        data = await self._client.execute("CreateAttachment", {"input": attachment})
        try:
            answers.read(answers.CreateAttachment, data, operation="CreateAttachment")
        except UnexpectedAnswer as odd:
            # Repeating it is harmless (same URL, same issue): say so and let a retry decide.
            log.warning("%s; the link on %s may be missing", odd, issue.identifier)

    async def open_need_issues(
        self, customer: TrackerCustomer, *, team_id: str, tokens: list[str], first: int
    ) -> list[answers.Issue]:
        """Open issues of the team that hold a need of ``customer`` and share a title word."""
        issue_filter: dict[str, Any] = {
            "team": {"id": {"eq": team_id}},
            "state": {"type": {"nin": ["completed", "canceled"]}},
            "or": [{"title": {"containsIgnoreCase": token}} for token in tokens],
        }
        data = await self._client.execute(
            "CustomerOpenNeeds",
            {
                "filter": {"customer": {"id": {"eq": customer.id}}, "issue": issue_filter},
                "first": first,
            },
        )
        needs = answers.read(answers.CustomerOpenNeeds, data, operation="CustomerOpenNeeds")
        seen: dict[str, answers.Issue] = {}
        for need in needs.customerNeeds.nodes:
            if need.issue is not None:
                seen.setdefault(need.issue.id, need.issue)
        return list(seen.values())

    # --- look-ups ---------------------------------------------------------------------------------
    async def _find(self, wanted: list[str], name: str | None) -> TrackerCustomer | None:
        # Linear keeps apex domains; an address at eu.acme.example belongs to acme.example.
        domains = list(dict.fromkeys([*wanted, *(p for d in wanted for p in _parents(d))]))
        if domains:
            data = await self._client.execute("CustomersByDomain", {"domains": domains})
            nodes = answers.read(answers.Customers, data, operation="CustomersByDomain")
            if nodes.customers.nodes:
                # Domains are unique across a workspace's customers; the first domain wins a tie.
                ranked = sorted(
                    nodes.customers.nodes,
                    key=lambda node: min(
                        (domains.index(d.lower()) for d in node.domains if d.lower() in domains),
                        default=len(domains),
                    ),
                )
                return tracker_customer(ranked[0])
        if name and one_line(name):
            return await self._named(name)
        return None

    async def _named(self, name: str) -> TrackerCustomer | None:
        data = await self._client.execute("CustomersByName", {"name": one_line(name)})
        nodes = answers.read(answers.Customers, data, operation="CustomersByName").customers.nodes
        return tracker_customer(nodes[0]) if nodes else None

    async def _by_id(self, customer_id: str) -> TrackerCustomer | None:
        try:
            data = await self._client.execute("CustomerById", {"id": customer_id})
        except RejectedInput:
            return None  # "Entity not found"
        node = answers.read(answers.CustomerById, data, operation="CustomerById").customer
        return tracker_customer(node) if node else None

    async def _need_exists(self, need_id: str) -> bool:
        try:
            data = await self._client.execute("CustomerNeedById", {"id": need_id})
        except RejectedInput:
            return False
        need = answers.read(answers.CustomerNeedById, data, operation="CustomerNeedById")
        return need.customerNeed is not None


def _parents(domain: str) -> list[str]:
    """The domains ``domain`` is under, down to two labels (``a.b.c.d`` → ``b.c.d``, ``c.d``)."""
    labels = domain.split(".")
    return [".".join(labels[index:]) for index in range(1, len(labels) - 1)]
