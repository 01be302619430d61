"""The local task list's customers, customer needs and task links, in the app database.

The local stand-in for Linear's customers: a customer is found by any of its domains, then by
name (case ignored), and created under an id derived from its name, so two workers creating
the same customer at once end with one. Needs are rows under the caller's id; a link is one
row per (task, URL). Each is idempotent the way the ``TaskTracker`` port asks.
"""

from __future__ import annotations

import uuid

from sqlalchemy.engine import Engine

from cs_agent.core.domain import IssueRef, TrackerCustomer
from storage import repo
from storage.db import session_scope
from storage.models import LocalCustomerRow

_NAMESPACE = uuid.UUID("0d6f1c52-8e0b-4f7e-a1f3-3c9b2d4e5a61")


def local_customer_id(name: str) -> str:
    """The id a local customer named ``name`` gets (the same for any casing)."""
    return str(uuid.uuid5(_NAMESPACE, " ".join(name.split()).casefold()))


def _customer(row: LocalCustomerRow) -> TrackerCustomer:
    return TrackerCustomer(
        id=row.id,
        name=row.name,
        domains=list(row.domains),
        owner_name=row.owner_name,
        owner_email=row.owner_email,
        slack_channel_id=row.slack_channel_id,
        tier=row.tier,
    )


class LocalCustomers:
    """Customers, needs and links of the local task list."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def resolve(
        self, *, domains: list[str], name: str | None, create: bool
    ) -> TrackerCustomer | None:
        """The customer with one of ``domains``, else named ``name``; created if asked."""
        wanted = [d.strip().lower() for d in domains if d and d.strip()]
        label = " ".join((name or "").split())
        with session_scope(self._engine) as session:
            rows = repo.list_local_customers(session)
            for domain in wanted:
                for row in rows:
                    if domain in (d.lower() for d in row.domains):
                        return _customer(row)
            if label:
                for row in rows:
                    if row.name.casefold() == label.casefold():
                        return _customer(row)
            label = label or (wanted[0] if wanted else "")
            if not create or not label:
                return None
            row = repo.insert_local_customer_if_absent(
                session, customer_id=local_customer_id(label), name=label, domains=wanted
            )
            return _customer(row)

    def add_need(self, issue: IssueRef, *, need_id: uuid.UUID, customer_id: str, body: str) -> None:
        """A need row under ``need_id`` (a repeat finds it there)."""
        with session_scope(self._engine) as session:
            repo.insert_local_need_if_absent(
                session, need_id=str(need_id), customer_id=customer_id, task_id=issue.id, body=body
            )

    def attach(self, issue: IssueRef, *, url: str, title: str, subtitle: str | None) -> None:
        """One link row per (task, URL); a repeat updates it."""
        with session_scope(self._engine) as session:
            repo.upsert_local_task_link(
                session, task_id=issue.id, url=url, title=title, subtitle=subtitle
            )

    def task_ids_with_needs(self, customer_name: str) -> set[str] | None:
        """The tasks holding a need of the customer named so; None when no such customer."""
        found = self.resolve(domains=[], name=customer_name, create=False)
        if found is None:
            return None
        with session_scope(self._engine) as session:
            return {need.task_id for need in repo.list_local_needs(session, customer_id=found.id)}
