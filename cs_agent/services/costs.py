"""What the analyses cost, per customer and per call, for ``cs-agent costs`` and the inbox."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from storage import repo
from storage.db import session_scope


@dataclass
class CostReport:
    """Cost lines (per customer, or per call) since a point in time, and the total of all calls."""

    since: dt.datetime | None
    by: str
    lines: list[repo.CostLine]
    total: repo.CostLine


def add_up(lines: list[repo.CostLine]) -> repo.CostLine:
    """Lines added up into one."""
    return repo.CostLine(
        customer=None,
        calls=sum(line.calls for line in lines),
        input_tokens=sum(line.input_tokens for line in lines),
        output_tokens=sum(line.output_tokens for line in lines),
        cache_read_tokens=sum(line.cache_read_tokens for line in lines),
        cache_creation_tokens=sum(line.cache_creation_tokens for line in lines),
        cost_usd=sum(line.cost_usd for line in lines),
    )


def cost_report(
    engine: Engine, *, since: dt.datetime | None, by: str = "customer", limit: int = 100
) -> CostReport:
    """Costs of calls received since ``since`` (all calls when None), ``by`` customer or call.

    Per call, only the newest ``limit`` calls are listed; the total covers every call.
    """
    if by not in ("customer", "call"):
        raise ValueError(f"by must be 'customer' or 'call', not {by!r}")
    with session_scope(engine) as session:
        customers = repo.costs_by_customer(session, since=since)
        lines = (
            customers if by == "customer" else repo.costs_by_call(session, since=since, limit=limit)
        )
    return CostReport(since=since, by=by, lines=lines, total=add_up(customers))


@dataclass
class CostOverview:
    """The inbox's costs page: per customer with the total, and the newest calls."""

    customers: list[repo.CostLine]
    total: repo.CostLine
    calls: list[repo.CostLine]


def cost_overview(engine: Engine, *, since: dt.datetime | None, limit: int) -> CostOverview:
    """Per-customer lines, their total and the newest ``limit`` calls, read in one session."""
    with session_scope(engine) as session:
        customers = repo.costs_by_customer(session, since=since)
        calls = repo.costs_by_call(session, since=since, limit=limit)
    return CostOverview(customers=customers, total=add_up(customers), calls=calls)
