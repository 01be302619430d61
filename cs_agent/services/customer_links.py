"""A call's customer in the tracker, and each filed issue tied to it: a need and a link.

``resolve_call_customer`` finds the call's customer in the tracker by the email domains of the
customer's side (the metadata's customer domain and its attendees' addresses), then by name,
creating it when the settings allow (``Settings.tracker_creates_customers``). The answer is
cached in the app database (``tracker_customers``): a customer found is used for
``linear_customer_cache_hours``, a miss is asked again after an hour, so a customer someone
adds in Linear is picked up soon and a busy day does not ask Linear about every call.

``link_action_item`` gives a filed issue a customer need (under an id derived from the item,
so a retried step adds no second) and a link to the call's page (one per issue and URL).
Neither failing fails the call: the issue is filed, and what is missing is logged.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import uuid

from dbos import DBOS
from sqlalchemy.engine import Engine

from cs_agent.core.domain import CallMetadata, Side, TrackerCustomer
from cs_agent.core.errors import ExternalError
from cs_agent.core.ids import call_status_url, inbox_call_url
from cs_agent.core.ports import CallContext
from cs_agent.core.text import STORED
from cs_agent.services.backoff import service_retry_policy, with_retries
from cs_agent.services.context import ServiceContext
from cs_agent.services.observe import observed
from storage import repo
from storage.db import session_scope
from storage.models import CallRow

log = logging.getLogger(__name__)

MISS_TTL = dt.timedelta(hours=1)
"""How long "the tracker has no such customer" is believed before asking again."""
PUBLIC_EMAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "msn.com",
        "yahoo.com",
        "icloud.com",
        "me.com",
        "aol.com",
        "proton.me",
        "protonmail.com",
        "gmx.com",
        "gmx.de",
        "web.de",
        "yandex.ru",
        "mail.ru",
        "qq.com",
        "163.com",
    }
)
"""Addresses at these say nothing about the company (and Linear refuses them on a customer)."""
NEED_NAMESPACE = uuid.UUID("9f0a3b1c-6d2e-4f5a-8b7c-1e2d3f4a5b6c")


def customer_domains(metadata: CallMetadata) -> list[str]:
    """The customer's email domains: the metadata's, then its attendees', public ones left out."""
    found: list[str] = []
    if metadata.customer and metadata.customer.domain:
        found.append(metadata.customer.domain)
    for attendee in metadata.attendees:
        if attendee.side == Side.CUSTOMER and attendee.email and "@" in attendee.email:
            found.append(attendee.email.rsplit("@", 1)[1])
    domains = [d.strip().strip(".").lower() for d in found if d.strip()]
    return [d for d in dict.fromkeys(domains) if d not in PUBLIC_EMAIL_DOMAINS]


def cache_keys(domains: list[str], name: str | None) -> list[str]:
    """The keys a customer is cached under: each domain, then its name."""
    keys = [f"domain:{domain}" for domain in domains]
    if name and name.strip():
        keys.append("name:" + " ".join(name.split()).casefold())
    return keys


def customer_tier(customer: dict[str, object] | None) -> str | None:
    """The tier of a tracker customer as ``resolve_call_customer`` returns it, if it has one."""
    if customer is None:
        return None
    tier = TrackerCustomer.model_validate(customer).tier
    return tier or None


def need_id_for(item_id: str) -> uuid.UUID:
    """The id of the customer need an action item's issue gets (derived: retries reuse it)."""
    return uuid.uuid5(NEED_NAMESPACE, item_id)


def _metadata(call: CallRow) -> CallMetadata:
    return CallMetadata.model_validate(call.call_metadata, context=STORED)


def _customer_name(call: CallRow, metadata: CallMetadata) -> str | None:
    return call.customer_name or (metadata.customer.name if metadata.customer else None)


def cached_customer(
    engine: Engine, *, tracker: str, keys: list[str], hours: float | None = None
) -> tuple[bool, TrackerCustomer | None]:
    """(known, customer) from the cache: a hit, or a miss on every key.

    With ``hours``, only answers younger than that (a miss: younger than ``MISS_TTL``) count;
    without, the last answer does, however old (what the approval message shows).
    """
    fresh = hours is not None
    max_age = dt.timedelta(hours=hours or 0)
    with session_scope(engine) as session:
        rows = [repo.cached_tracker_customer(session, tracker=tracker, key=key) for key in keys]
    for row in rows:
        if (
            row is not None
            and row.customer is not None
            and (not fresh or repo.is_fresh(row.resolved_at, max_age=max_age))
        ):
            return True, TrackerCustomer.model_validate(row.customer)
    misses = [row for row in rows if row is not None and row.customer is None]
    all_missed = bool(rows) and len(misses) == len(rows)
    if all_missed and (
        not fresh or all(repo.is_fresh(row.resolved_at, max_age=MISS_TTL) for row in misses)
    ):
        return True, None
    return False, None


@DBOS.step(name="resolve_call_customer")
@observed("resolve_call_customer")
async def resolve_call_customer(ctx: ServiceContext, call_id: str) -> dict[str, object] | None:
    """The call's customer in the tracker (as JSON), found, created or None; cached.

    A tracker that cannot be asked (an outage that outlasts the retries, no Customers on the
    plan) leaves the call without one: its issues are still filed, without needs.
    """
    with session_scope(ctx.engine) as session:
        call = repo.get_call(session, call_id=call_id)
    if call is None:
        return None
    metadata = _metadata(call)
    domains = customer_domains(metadata)
    name = _customer_name(call, metadata)
    keys = cache_keys(domains, name)
    if not keys:
        return None
    known, customer = await asyncio.to_thread(
        lambda: cached_customer(
            ctx.engine,
            tracker=ctx.adapters.tracker.name,
            keys=keys,
            hours=ctx.settings.linear_customer_cache_hours,
        )
    )
    if not known:
        tracker = ctx.adapters.tracker
        create = ctx.settings.tracker_creates_customers
        try:
            customer = await with_retries(
                lambda: tracker.resolve_customer(domains=domains, name=name, create=create),
                what=f"looking up the customer of call {call_id}",
                policy=service_retry_policy(ctx.settings),
            )
        except ExternalError as error:
            log.warning("could not look up the customer of call %s: %s", call_id, error)
            return None
        found = customer.model_dump(mode="json") if customer else None
        with session_scope(ctx.engine) as session:
            repo.cache_tracker_customer(session, tracker=tracker.name, keys=keys, customer=found)
    if customer is None:
        log.info("the customer of call %s is not in %s", call_id, ctx.adapters.tracker.name)
        return None
    return customer.model_dump(mode="json")


@DBOS.step(name="link_action_item")
@observed("link_action_item")
async def link_action_item(
    ctx: ServiceContext, call_id: str, item_id: str, customer: dict[str, object] | None
) -> None:
    """Give the item's filed issue a need of ``customer`` and a link to the call's page."""
    with session_scope(ctx.engine) as session:
        call = repo.get_call(session, call_id=call_id)
        row = next((r for r in repo.list_items(session, call_id=call_id) if r.id == item_id), None)
    issue = repo.issue_from_row(row) if row is not None else None
    if call is None or row is None or issue is None or issue.existing:
        return  # not filed (or an issue that was already open: it has its needs)
    tracker = ctx.adapters.tracker
    policy = service_retry_policy(ctx.settings)
    context = CallContext(
        call_id=call.id,
        title=call.title,
        call_date=call.call_date,
        customer_name=call.customer_name,
        customer_domain=call.customer_domain,
        call_url=call_status_url(ctx.settings.public_url, call.id),
    )
    try:
        if customer is not None:
            found = TrackerCustomer.model_validate(customer)
            await with_retries(
                lambda: tracker.add_customer_need(
                    issue,
                    need_id=need_id_for(item_id),
                    customer=found,
                    body=row.quote,
                    call=context,
                    said_at=row.quote_time,
                ),
                what=f"adding {found.name}'s need to {issue.identifier}",
                policy=policy,
            )
        when = call.call_date.isoformat() if call.call_date else None
        subtitle = " · ".join(part for part in (call.customer_name, when) if part) or None
        await with_retries(
            lambda: tracker.attach_link(
                issue,
                url=inbox_call_url(ctx.settings.public_url, call.id, anchor=None),
                title=call.title or "Customer call",
                subtitle=subtitle,
            ),
            what=f"linking {issue.identifier} to its call",
            policy=policy,
        )
    except ExternalError as error:
        log.warning(
            "%s is filed but not fully linked to its customer and call: %s", issue.identifier, error
        )


def approval_customer(
    engine: Engine, call: CallRow, *, tracker: str | None
) -> tuple[TrackerCustomer | None, str | None]:
    """The call's tracker customer as last resolved, or a note saying why there is none.

    Reads only the cache (no request to the tracker): the approval message is drawn often.
    """
    metadata = _metadata(call)
    name = _customer_name(call, metadata)
    keys = cache_keys(customer_domains(metadata), name)
    if not keys or tracker is None:
        return None, None
    known, customer = cached_customer(engine, tracker=tracker, keys=keys)
    if customer is not None or not known:
        return customer, None
    return None, (
        f"{name or 'This customer'} is not a customer in {tracker.capitalize()}, so its issues "
        "carry no customer need: add the customer there, or set "
        "CS_AGENT_LINEAR_CREATE_CUSTOMERS=true to have cs-agent create it."
    )


def customer_aliases(ctx: ServiceContext, call_id: str) -> dict[str, str]:
    """The call's customer name (folded) → the name its tracker customer has, from the cache.

    The analysis searches open issues by the call's customer name; when the tracker knows the
    customer under another name ("Acme Freight Inc."), the search must ask for that one.
    """
    with session_scope(ctx.engine) as session:
        call = repo.get_call(session, call_id=call_id)
    if call is None:
        return {}
    metadata = _metadata(call)
    name = _customer_name(call, metadata)
    keys = cache_keys(customer_domains(metadata), name)
    if not name or not keys:
        return {}
    _known, customer = cached_customer(ctx.engine, tracker=ctx.adapters.tracker.name, keys=keys)
    if customer is None or customer.name.casefold() == name.casefold():
        return {}
    return {" ".join(name.split()).casefold(): customer.name}
