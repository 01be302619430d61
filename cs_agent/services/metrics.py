"""Prometheus metrics, in two kinds because the API and the workers are separate processes.

*Business numbers* (calls received, analysed and failed; action items filed and linked;
drafts by status; emails sent; reminders; model cost and tokens) are read from the database
when ``/metrics`` is scraped. A worker that analyses a call and the API that is scraped are
different processes, often on different machines, so a counter incremented in the worker's
memory would never show in the API's answer; the database is the one place every process
writes, and it gives the same, correct numbers whichever API replica is asked. Counters among
them (``…_total``) only grow, because rows are never deleted (a purge empties transcripts, it
keeps the rows).

*Process numbers* (step latencies, outside systems' errors by system and kind) describe what
one process did, so each process exposes its own: the API on ``/metrics`` next to the business
numbers, each worker on ``--metrics-port``. Prometheus sums them across instances.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.engine import Engine

from cs_agent.services.promise_metrics import PromiseCollector
from storage import repo
from storage.db import session_scope

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

STEP_SECONDS = Histogram(
    "cs_agent_step_duration_seconds",
    "How long one workflow step took in this process, by step and outcome (ok or error).",
    ["step", "outcome"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600),
)
EXTERNAL_ERRORS = Counter(
    "cs_agent_external_errors",
    "Failed requests to outside systems seen by this process, by system and error kind "
    "(unauthorized, rejected_input, rate_limited, unavailable, outcome_unknown, other).",
    ["system", "kind"],
)


def count_external_error(system: str, kind: str) -> None:
    """One failed request to ``system``, of ``kind`` (from the error taxonomy)."""
    EXTERNAL_ERRORS.labels(system=system, kind=kind).inc()


def observe_step(step: str, *, seconds: float, ok: bool) -> None:
    """One finished run of a workflow step."""
    STEP_SECONDS.labels(step=step, outcome="ok" if ok else "error").observe(seconds)


class DatabaseCollector(Collector):
    """The business numbers, computed from the database at scrape time."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def collect(self) -> Iterable[Metric]:
        """Read one snapshot and turn it into metric families."""
        with session_scope(self._engine) as session:
            snap = repo.metrics_snapshot(session)
        yield _counter(
            "cs_agent_calls_received", "Calls accepted (every source).", snap.calls_received
        )
        yield _counter(
            "cs_agent_calls_analyzed", "Calls whose analysis finished.", snap.calls_analyzed
        )
        yield _counter(
            "cs_agent_call_failures",
            "Times a call's processing failed (a retried call that fails again counts again).",
            snap.call_failures,
        )
        calls = GaugeMetricFamily("cs_agent_calls", "Calls by current status.", labels=["status"])
        for status, count in sorted(snap.calls_by_status.items()):
            calls.add_metric([status], count)
        yield calls
        items = CounterMetricFamily(
            "cs_agent_action_items",
            "Action items with an issue: filed as a new issue, or linked to an open issue "
            "that already tracked them (deduplicated).",
            labels=["outcome"],
        )
        items.add_metric(["filed"], snap.items_filed)
        items.add_metric(["linked"], snap.items_linked)
        yield items
        drafts = GaugeMetricFamily(
            "cs_agent_drafts", "Follow-up drafts by current status.", labels=["status"]
        )
        for status, count in sorted(snap.drafts_by_status.items()):
            drafts.add_metric([status], count)
        yield drafts
        yield _counter("cs_agent_emails_sent", "Follow-up emails sent.", snap.emails_sent)
        yield _counter(
            "cs_agent_reminders_sent", "Reminders about drafts left pending.", snap.reminders_sent
        )
        age = 0.0
        if snap.oldest_pending_draft is not None:
            age = max(0.0, (dt.datetime.now(dt.UTC) - snap.oldest_pending_draft).total_seconds())
        yield GaugeMetricFamily(
            "cs_agent_oldest_pending_draft_age_seconds",
            "How long the oldest pending draft has waited for a decision (0 when none waits).",
            value=age,
        )
        yield _counter(
            "cs_agent_model_cost_usd", "Model cost of every analysis, in US dollars.", snap.cost_usd
        )
        tokens = CounterMetricFamily(
            "cs_agent_model_tokens",
            "Model tokens of every analysis, by kind (input, output, cache_read, cache_creation).",
            labels=["kind"],
        )
        for kind, count in snap.tokens.items():
            tokens.add_metric([kind], count)
        yield tokens


def _counter(name: str, documentation: str, value: float) -> CounterMetricFamily:
    return CounterMetricFamily(name, documentation, value=value)


def database_registry(engine: Engine) -> CollectorRegistry:
    """A registry holding only the database's numbers (one per app, so tests can have many)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector(engine))
    registry.register(PromiseCollector(engine))
    return registry


def exposition(database: CollectorRegistry | None = None) -> bytes:
    """The Prometheus text format: this process's metrics, then the database's if given."""
    body = generate_latest(REGISTRY)
    if database is not None:
        body += generate_latest(database)
    return body
