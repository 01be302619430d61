"""Customers as trackers know them: the cache of what a tracker answered for a customer key,
and the local task list's own customers, customer needs and task links."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.models import (
    LocalCustomerNeedRow,
    LocalCustomerRow,
    LocalTaskLinkRow,
    TrackerCustomerRow,
    utcnow,
)

# --- the cache of tracker customers --------------------------------------------------------------


def cached_tracker_customer(
    session: Session, *, tracker: str, key: str
) -> TrackerCustomerRow | None:
    """What ``tracker`` answered for ``key`` last time, if it was ever asked."""
    return session.get(TrackerCustomerRow, (tracker, key))


def cache_tracker_customer(
    session: Session, *, tracker: str, keys: Sequence[str], customer: dict[str, Any] | None
) -> None:
    """Remember ``customer`` (or that there was none) for each of ``keys``, as of now."""
    now = utcnow()
    for key in dict.fromkeys(keys):
        row = session.get(TrackerCustomerRow, (tracker, key))
        if row is None:
            row = TrackerCustomerRow(tracker=tracker, key=key)
        row.customer = customer
        row.resolved_at = now
        session.add(row)


# --- the local task list's customers -------------------------------------------------------------


def list_local_customers(session: Session) -> Sequence[LocalCustomerRow]:
    """Every local customer, oldest first."""
    return session.exec(select(LocalCustomerRow).order_by(col(LocalCustomerRow.created_at))).all()


def insert_local_customer_if_absent(
    session: Session, *, customer_id: str, name: str, domains: list[str]
) -> LocalCustomerRow:
    """The local customer ``customer_id``, created with ``name`` and ``domains`` if absent."""
    existing = session.get(LocalCustomerRow, customer_id)
    if existing is not None:
        return existing
    row = LocalCustomerRow(id=customer_id, name=name, domains=domains)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        found = session.get(LocalCustomerRow, customer_id)
        if found is None:
            raise
        return found
    return row


def insert_local_need_if_absent(
    session: Session, *, need_id: str, customer_id: str, task_id: str, body: str
) -> bool:
    """Record a need on a local task unless ``need_id`` exists. True if it is new."""
    if session.get(LocalCustomerNeedRow, need_id) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(
                LocalCustomerNeedRow(
                    id=need_id, customer_id=customer_id, task_id=task_id, body=body
                )
            )
            session.flush()
    except IntegrityError:
        return False
    return True


def list_local_needs(
    session: Session, *, customer_id: str | None = None, task_id: str | None = None
) -> Sequence[LocalCustomerNeedRow]:
    """Local customer needs, of one customer or one task when given."""
    query = select(LocalCustomerNeedRow).order_by(col(LocalCustomerNeedRow.created_at))
    if customer_id is not None:
        query = query.where(LocalCustomerNeedRow.customer_id == customer_id)
    if task_id is not None:
        query = query.where(LocalCustomerNeedRow.task_id == task_id)
    return session.exec(query).all()


def upsert_local_task_link(
    session: Session, *, task_id: str, url: str, title: str, subtitle: str | None
) -> None:
    """Link ``url`` from a local task; a second link with the same URL updates the first."""
    row = session.get(LocalTaskLinkRow, (task_id, url))
    if row is None:
        row = LocalTaskLinkRow(task_id=task_id, url=url, title=title, subtitle=subtitle)
    else:
        row.title, row.subtitle = title, subtitle
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        pass  # another writer linked it a moment ago: the same link


def list_local_task_links(session: Session, *, task_id: str) -> Sequence[LocalTaskLinkRow]:
    """The links of a local task."""
    return session.exec(select(LocalTaskLinkRow).where(LocalTaskLinkRow.task_id == task_id)).all()


def is_fresh(resolved_at: dt.datetime, *, max_age: dt.timedelta) -> bool:
    """Whether an answer from ``resolved_at`` is younger than ``max_age``."""
    stamp = resolved_at if resolved_at.tzinfo else resolved_at.replace(tzinfo=dt.UTC)
    return utcnow() - stamp < max_age
