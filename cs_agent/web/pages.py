"""The inbox's pages: the calls table, the costs, and one call with its draft.

A call's page shows the summary, the action items with their quotes marked in the
transcript, the draft with the decisions the person may take, and the audit log.
"""

from __future__ import annotations

import asyncio
import math
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, Response

from cs_agent.bootstrap.runtime import Runtime
from cs_agent.core import errors
from cs_agent.core.domain import DraftStatus
from cs_agent.core.durations import parse_duration
from cs_agent.services import process_call
from cs_agent.services.costs import cost_overview
from cs_agent.services.views import CallView, load_call_view
from cs_agent.web.auth import Person
from cs_agent.web.deps import PersonDep, RuntimeDep
from cs_agent.web.forms import EditForm
from cs_agent.web.numbers import parse_number
from cs_agent.web.present import (
    CALL_STATUS_LABELS,
    PROCESSING_STATUSES,
    SENDING_STATUSES,
    call_list_row,
    describe_event,
    highlight,
    locate_quotes,
    render_markdown,
    transcript_lines,
)
from cs_agent.web.render import render
from cs_agent.web.versions import version_changes
from storage import repo
from storage.db import session_scope
from storage.models import CallRow, utcnow

router = APIRouter()

PAGE_SIZE = 25


# --- the calls table ----------------------------------------------------------------------------


@router.get("/", name="calls")
async def calls_page(
    request: Request,
    person: PersonDep,
    runtime: RuntimeDep,
    status: str = "",
    page: str = "1",
) -> Response:
    """Every call, newest first, optionally of one status, a page at a time."""
    if status and status not in CALL_STATUS_LABELS:
        raise HTTPException(400, f"There is no call status {status!r}.")
    parsed = parse_number(page)
    if parsed is None:
        raise HTTPException(400, f"Page {page[:40]!r} is not a page number (1, 2, …).")
    number = parsed
    with session_scope(runtime.engine) as session:
        total = repo.count_calls(session, status=status or None)
        rows = repo.list_calls_with_drafts(
            session, status=status or None, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE
        )
        awaiting = repo.count_calls(session, status="awaiting_approval")
    pages = max(1, math.ceil(total / PAGE_SIZE))
    return render(
        request,
        "calls.html",
        person=person,
        rows=[call_list_row(call, items, draft) for call, items, draft in rows],
        status=status,
        statuses=CALL_STATUS_LABELS,
        page=number,
        pages=pages,
        total=total,
        first=(number - 1) * PAGE_SIZE + 1,
        last=min(total, number * PAGE_SIZE),
        awaiting=awaiting,
    )


# --- costs --------------------------------------------------------------------------------------

COST_PERIODS = {
    "7d": "Last 7 days",
    "30d": "Last 30 days",
    "90d": "Last 90 days",
    "all": "All time",
}


@router.get("/costs", name="costs")
async def costs_page(
    request: Request, person: PersonDep, runtime: RuntimeDep, period: str = "30d"
) -> Response:
    """What the analyses cost: per customer, the total, and the dearest recent calls."""
    if period not in COST_PERIODS:
        raise HTTPException(400, f"There is no period {period!r}; pick one of the list.")
    since = None if period == "all" else utcnow() - parse_duration(period)
    costs = cost_overview(runtime.engine, since=since, limit=PAGE_SIZE)
    return render(
        request,
        "costs.html",
        person=person,
        period=period,
        periods=COST_PERIODS,
        since=since,
        customers=costs.customers,
        total=costs.total,
        calls=costs.calls,
    )


# --- one call -----------------------------------------------------------------------------------


@router.get("/calls/{call_id}", name="call")
async def call_page(
    request: Request, call_id: str, person: PersonDep, runtime: RuntimeDep
) -> Response:
    """A call: summary, action items with quotes into the transcript, the draft, the audit log."""
    # The page parses and lays out the whole transcript: CPU work, so in a thread.
    return await asyncio.to_thread(render_call, request, runtime, call_id, person)


@router.get("/calls/{call_id}/progress", name="call_progress")
async def call_progress(call_id: str, _person: PersonDep, runtime: RuntimeDep) -> JSONResponse:
    """Where the call (and its email) stands, for the page to poll while work is under way."""
    with session_scope(runtime.engine) as session:
        call = repo.get_call(session, call_id=call_id)
        if call is None:
            raise HTTPException(404, f"There is no call {call_id}.")
        draft = repo.get_draft_for_call(session, call_id=call_id)
        status, draft_status = call.status, draft.status if draft else None
    busy = status in PROCESSING_STATUSES or draft_status in SENDING_STATUSES
    return JSONResponse(
        {
            "status": status,
            "label": CALL_STATUS_LABELS.get(status, status),
            "draft_status": draft_status,
            "done": not busy,
        },
        headers={"Cache-Control": "no-store"},
    )


def _readable_transcript(call: CallRow) -> dict[str, Any] | None:
    """The call's transcript, parsed from the text kept at intake or as stored parsed; None once
    purged (or when the text no longer parses, which the call's failure already says)."""
    try:
        return process_call.stored_transcript(call).model_dump(mode="json")
    except errors.WorkflowFailure:
        return None


def render_call(
    request: Request,
    runtime: Runtime,
    call_id: str,
    person: Person,
    *,
    edit: EditForm | None = None,
    status_code: int = 200,
) -> Response:
    """The page of ``call_id``; ``edit`` reopens the edit form as submitted, with its errors."""
    view = load_call_view(runtime, call_id)
    if view is None:
        raise HTTPException(404, f"There is no call {call_id}.")
    with session_scope(runtime.engine) as session:
        call = repo.get_call(session, call_id=call_id)
        events = repo.list_audit(session, call_id=call_id)
        transcript = _readable_transcript(call) if call else None
    lines = transcript_lines(transcript)
    anchors = locate_quotes(lines, [(i.quote, i.quote_time) for i in view.action_items])
    quoted: dict[int, list[str]] = {}
    for item, anchor in zip(view.action_items, anchors, strict=True):
        if anchor is not None:
            quoted.setdefault(anchor, []).append(item.quote)
    draft = view.draft
    draft_status = draft.status if draft else None
    return render(
        request,
        "call.html",
        person=person,
        status_code=status_code,
        view=view,
        items=list(zip(view.action_items, anchors, strict=True)),
        lines=lines,
        quoted={index: highlight(lines[index].text, quotes) for index, quotes in quoted.items()},
        events=[(event, describe_event(event)) for event in events],
        draft_html=render_markdown(draft.body) if draft else None,
        processing=view.status in PROCESSING_STATUSES,
        sending=draft_status in SENDING_STATUSES,
        can_approve=person.approver
        and draft is not None
        and draft.status == DraftStatus.PENDING
        and bool(draft.to),
        can_edit=person.approver and draft_status in (DraftStatus.PENDING, DraftStatus.FAILED),
        edit=edit or _edit_form(view),
        edit_open=edit is not None,
        changes=version_changes(events),
    )


def _edit_form(view: CallView) -> EditForm | None:
    draft = view.draft
    if draft is None:
        return None
    return EditForm(
        subject=draft.subject,
        body=draft.body,
        to=", ".join(draft.to),
        cc=", ".join(draft.cc),
        version=draft.version,
    )
