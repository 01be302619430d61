"""The inbox's Promises page, a customer's page, and an update draft's page.

Promises: every promise across calls, overdue first, filtered by customer, owner and status.
A customer: its calls, open and kept promises, the emails it was sent. An update: the email
telling a customer promises were kept, approved (or rejected) through the same decisions as a
follow-up.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from cs_agent.core.domain import DraftKind, DraftStatus
from cs_agent.services.customer_views import load_customer, pending_updates
from cs_agent.services.promise_text import TEMPLATE_LABEL
from cs_agent.services.promise_views import list_promises
from cs_agent.web.deps import PersonDep, RuntimeDep
from cs_agent.web.present import render_markdown
from cs_agent.web.render import render
from storage import repo
from storage.db import session_scope
from storage.repo import promises as promise_rows

router = APIRouter()

PROMISE_STATUSES = {"open": "Open", "kept": "Kept", "dropped": "Dropped"}


@router.get("/promises", name="promises")
async def promises_page(
    request: Request,
    person: PersonDep,
    runtime: RuntimeDep,
    customer: str = "",
    owner: str = "",
    status: str = "",
) -> Response:
    """Every promise across calls: overdue first, then open, kept and dropped."""
    if status and status not in PROMISE_STATUSES:
        raise HTTPException(400, f"There is no promise status {status[:40]!r}.")
    everything = await asyncio.to_thread(list_promises, runtime.engine)
    shown = [
        p
        for p in everything
        if (not customer or (p.customer or "").casefold() == customer.casefold())
        and (not owner or (p.owner or "").casefold() == owner.casefold())
        and (not status or p.status == status)
    ]
    updates = await asyncio.to_thread(pending_updates, runtime.engine)
    return render(
        request,
        "promises.html",
        person=person,
        promises=shown,
        customers=sorted({p.customer for p in everything if p.customer}, key=str.casefold),
        owners=sorted({p.owner for p in everything if p.owner}, key=str.casefold),
        statuses=PROMISE_STATUSES,
        customer=customer,
        owner=owner,
        status=status,
        overdue=sum(1 for p in shown if p.overdue),
        updates=updates,
    )


@router.get("/customers/{name}", name="customer")
async def customer_page(
    request: Request, name: str, person: PersonDep, runtime: RuntimeDep
) -> Response:
    """One customer: its calls, its promises open and kept, the emails it was sent."""
    view = await asyncio.to_thread(load_customer, runtime.engine, name)
    if view is None:
        raise HTTPException(404, f"No call was with a customer named {name[:80]!r}.")
    return render(request, "customer.html", person=person, customer=view)


@router.get("/updates/{draft_id}", name="update")
async def update_page(
    request: Request, draft_id: str, person: PersonDep, runtime: RuntimeDep
) -> Response:
    """An update telling a customer promises were kept: what it says, and the decision on it."""
    with session_scope(runtime.engine) as session:
        draft = repo.get_draft(session, draft_id=draft_id)
        if draft is None or draft.kind != DraftKind.UPDATE:
            raise HTTPException(404, f"There is no update {draft_id[:80]}.")
        promises = promise_rows.promises_of_update(session, draft_id=draft_id)
        item_ids = [p.item_id for p in promises]
    told = [p for p in list_promises(runtime.engine) if p.id in set(item_ids)]
    return render(
        request,
        "update.html",
        person=person,
        draft=draft,
        promises=told,
        body_html=render_markdown(draft.body),
        template_label=TEMPLATE_LABEL,
        can_approve=person.approver and draft.status == DraftStatus.PENDING and bool(draft.to),
        can_reject=person.approver and draft.status in (DraftStatus.PENDING, DraftStatus.FAILED),
    )
