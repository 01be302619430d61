"""Stores the adapters keep in the app database: the local task list, and the journal of
mailers that cannot be asked what they sent (SMTP)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.models import LocalTaskRow, MailDeliveryRow, utcnow

# --- the local task list -------------------------------------------------------------------------


def insert_local_task_if_absent(
    session: Session,
    *,
    task_id: str,
    title: str,
    description: str,
    customer: str | None,
    assignee: str | None,
    due_date: dt.date | None,
    priority: int,
    call_id: str | None,
) -> tuple[LocalTaskRow, bool]:
    """File a local task under ``task_id`` unless it exists. Returns the task and whether it is new."""
    existing = session.get(LocalTaskRow, task_id)
    if existing is not None:
        return existing, False
    for _attempt in range(5):
        number = (
            int(session.exec(select(func.coalesce(func.max(LocalTaskRow.number), 0))).one()) + 1
        )
        row = LocalTaskRow(
            id=task_id,
            number=number,
            title=title,
            description=description,
            customer=customer,
            assignee=assignee,
            due_date=due_date,
            priority=priority,
            call_id=call_id,
        )
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
            return row, True
        except IntegrityError:
            existing = session.get(LocalTaskRow, task_id)
            if existing is not None:
                return existing, False
            # Another writer took this number; take the next one.
    raise RuntimeError("could not allocate a local task number")


def list_local_tasks(
    session: Session, *, customer: str | None = None, state: str | None = None
) -> Sequence[LocalTaskRow]:
    """Local tasks in filing order, optionally of one customer and state."""
    query = select(LocalTaskRow).order_by(col(LocalTaskRow.number))
    if customer is not None:
        query = query.where(LocalTaskRow.customer == customer)
    if state is not None:
        query = query.where(LocalTaskRow.state == state)
    return session.exec(query).all()


# --- the journal of mailers that cannot be asked (SMTP) -------------------------------------------


def get_mail_delivery(session: Session, *, message_id: str) -> MailDeliveryRow | None:
    """The journal entry of ``message_id``, if an attempt to hand it over ever started."""
    return session.get(MailDeliveryRow, message_id)


def begin_mail_delivery(
    session: Session, *, message_id: str, mailer: str, recipients: list[str]
) -> bool:
    """Record that ``message_id`` is about to be handed over. False if an entry exists already."""
    try:
        with session.begin_nested():
            session.add(
                MailDeliveryRow(message_id=message_id, mailer=mailer, recipients=recipients)
            )
            session.flush()
    except IntegrityError:
        return False
    return True


def finish_mail_delivery(session: Session, *, message_id: str, server_reply: str) -> None:
    """The server confirmed it has the message."""
    session.execute(
        update(MailDeliveryRow)
        .where(col(MailDeliveryRow.message_id) == message_id)
        .values(status="accepted", server_reply=server_reply, finished_at=utcnow())
    )


def forget_mail_delivery(session: Session, *, message_id: str) -> None:
    """The server refused the message outright: nothing was delivered, so no entry is kept."""
    row = session.get(MailDeliveryRow, message_id)
    if row is not None and row.status != "accepted":
        session.delete(row)
