"""Promise numbers for /metrics, read from the database when Prometheus scrapes.

Like the other business numbers they come from the database, so every API replica reports
the same whichever worker did the work: promises by status, overdue ones, promises whose
customer was told, and the time from a promise (its call's arrival) to it being kept, as a
histogram.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from sqlalchemy.engine import Engine

from storage.db import session_scope
from storage.repo import promises as promise_rows

HOUR = 3600.0
KEPT_BUCKETS = (
    HOUR,
    4 * HOUR,
    24 * HOUR,
    3 * 24 * HOUR,
    7 * 24 * HOUR,
    14 * 24 * HOUR,
    30 * 24 * HOUR,
)
"""Hours to a month: promises are kept in days, not seconds."""


class PromiseCollector(Collector):
    """Collects the promise numbers at scrape time."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def collect(self) -> Iterable[Metric]:
        """One read, turned into metric families."""
        today = dt.datetime.now(dt.UTC).date()
        with session_scope(self._engine) as session:
            numbers = promise_rows.promise_numbers(session, today=today)
        promises = GaugeMetricFamily(
            "cs_agent_promises", "Promises (filed action items) by status.", labels=["status"]
        )
        for status, count in sorted(numbers.by_status.items()):
            promises.add_metric([status], count)
        yield promises
        yield GaugeMetricFamily(
            "cs_agent_promises_overdue",
            "Open promises past their due date.",
            value=numbers.overdue,
        )
        yield CounterMetricFamily(
            "cs_agent_promises_customer_told",
            "Kept promises the customer was told about (their update was sent).",
            value=numbers.customers_told,
        )
        buckets = []
        for bound in KEPT_BUCKETS:
            buckets.append((_label(bound), sum(1 for s in numbers.kept_seconds if s <= bound)))
        buckets.append(("+Inf", len(numbers.kept_seconds)))
        yield HistogramMetricFamily(
            "cs_agent_promise_time_to_kept_seconds",
            "Time from a promise (its call's arrival) to its issue being completed.",
            buckets=buckets,
            sum_value=sum(numbers.kept_seconds),
        )


def _label(bound: float) -> str:
    return f"{bound:.1f}"
