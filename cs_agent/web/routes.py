"""The inbox's pages: the calls table, one call, its draft decisions, and the upload form.

Decisions go through ``cs_agent.approvals`` like every other channel's: conditional updates
that carry the draft version the person was looking at, so a stale page or a double click
cannot approve text nobody read or send an email twice.
"""

from __future__ import annotations

import math
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from cs_agent.bootstrap.runtime import Runtime
from cs_agent.core import errors
from cs_agent.core.domain import DraftStatus
from cs_agent.core.durations import parse_duration
from cs_agent.services import approvals, process_call
from cs_agent.services.costs import cost_overview
from cs_agent.services.intake import IdempotencyConflict, submit_call
from cs_agent.services.views import CallView, load_call_view
from cs_agent.web.auth import Person
from cs_agent.web.deps import ApproverDep, FormDep, PersonDep, RuntimeDep, SettingsDep
from cs_agent.web.forms import EditForm, UploadForm, read_edit, read_upload, read_version
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
from cs_agent.web.render import flash, path_for, render
from storage import repo
from storage.db import session_scope
from storage.models import CallRow, DraftRow, utcnow

router = APIRouter()

PAGE_SIZE = 25
MAX_REASON_CHARS = 1000


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
    if not page.isdigit() or int(page) < 1:
        raise HTTPException(400, f"Page {page!r} is not a page number (1, 2, …).")
    number = int(page)
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
    return _render_call(request, runtime, call_id, person)


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


def _render_call(
    request: Request,
    runtime: Runtime,
    call_id: str,
    person: Person,
    *,
    edit: EditForm | None = None,
    status_code: int = 200,
) -> Response:
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


# --- decisions on a draft -----------------------------------------------------------------------


def _draft(runtime: Runtime, draft_id: str) -> DraftRow:
    with session_scope(runtime.engine) as session:
        draft = repo.get_draft(session, draft_id=draft_id)
    if draft is None:
        raise HTTPException(404, f"There is no draft {draft_id}.")
    return draft


def _back_to_draft(request: Request, call_id: str) -> RedirectResponse:
    path = path_for(request, "call", call_id=call_id)
    return RedirectResponse(f"{path}#draft", status_code=303)


@router.post("/drafts/{draft_id}/approve", name="approve")
async def approve(
    request: Request, draft_id: str, person: ApproverDep, form: FormDep, runtime: RuntimeDep
) -> Response:
    """Approve the version the person saw; the email is sent once, however often this is posted."""
    draft = _draft(runtime, draft_id)
    call_id = draft.call_id
    version = read_version(form)
    if version is None:
        flash(request, "error", "The form is missing the draft version; reload the page.")
        return _back_to_draft(request, call_id)
    if draft.status == DraftStatus.PENDING and not draft.to:
        flash(request, "error", "Not approved: the email has no recipient yet. Edit it first.")
        return _back_to_draft(request, call_id)
    try:
        decision = await approvals.approve(
            runtime, draft_id=draft_id, actor=person.actor, version=version
        )
    except approvals.DecisionRefused as refused:
        flash(request, "error", f"Not approved: {refused}.")
    else:
        if decision.changed:
            flash(request, "ok", f"Approved version {version}. Sending the email…")
        else:
            decided = decision.draft.decided_by or "someone"
            flash(request, "info", f"Already approved by {decided}; it is sent once.")
    return _back_to_draft(request, call_id)


@router.post("/drafts/{draft_id}/edit", name="edit")
async def edit(
    request: Request, draft_id: str, person: ApproverDep, form: FormDep, runtime: RuntimeDep
) -> Response:
    """Save an edit as the next version, which waits for approval again."""
    call_id = _draft(runtime, draft_id).call_id
    edited = read_edit(form)
    if edited.errors:
        return _render_call(request, runtime, call_id, person, edit=edited, status_code=422)
    assert edited.version is not None
    try:
        decision = await approvals.edit(
            runtime,
            draft_id=draft_id,
            actor=person.actor,
            expected_version=edited.version,
            subject=edited.subject,
            body=edited.body,
            to=edited.to_list,
            cc=edited.cc_list,
        )
    except approvals.DecisionRefused as refused:
        edited.errors["form"] = f"Not saved: {refused}."
        return _render_call(request, runtime, call_id, person, edit=edited, status_code=409)
    flash(
        request,
        "ok",
        f"Saved as version {decision.draft.version}. Review it, then approve to send.",
    )
    return _back_to_draft(request, call_id)


@router.post("/drafts/{draft_id}/reject", name="reject")
async def reject(
    request: Request, draft_id: str, person: ApproverDep, form: FormDep, runtime: RuntimeDep
) -> Response:
    """Reject the draft: nothing will be sent."""
    call_id = _draft(runtime, draft_id).call_id
    reason = str(form.get("reason") or "").strip()[:MAX_REASON_CHARS] or None
    try:
        decision = await approvals.reject(
            runtime, draft_id=draft_id, actor=person.actor, reason=reason
        )
    except approvals.DecisionRefused as refused:
        flash(request, "error", f"Not rejected: {refused}.")
    else:
        if decision.changed:
            flash(request, "ok", "Rejected. Nothing will be sent.")
        else:
            flash(request, "info", "It was already rejected.")
    return _back_to_draft(request, call_id)


# --- upload -------------------------------------------------------------------------------------


@router.get("/upload", name="upload")
async def upload_page(request: Request, person: ApproverDep) -> Response:
    """The form to upload a transcript with what is known about the call."""
    return render(request, "upload.html", person=person, form=UploadForm())


@router.post("/upload", name="upload_submit")
async def upload(
    request: Request,
    person: ApproverDep,
    form: FormDep,
    runtime: RuntimeDep,
    settings: SettingsDep,
) -> Response:
    """Accept a call; its page shows the analysis as it progresses."""
    our_domain = settings.sender_email.rpartition("@")[2].lower()
    upload = await read_upload(form, max_bytes=settings.max_transcript_bytes, our_domain=our_domain)
    if upload.errors or upload.parsed is None or upload.metadata is None:
        return render(request, "upload.html", person=person, form=upload, status_code=422)
    try:
        submission = await submit_call(
            runtime, transcript=upload.parsed, metadata=upload.metadata, source="web"
        )
    except IdempotencyConflict as conflict:  # only with a source id, which the form has not
        upload.errors["transcript"] = f"this conflicts with call {conflict.call_id}"
        return render(request, "upload.html", person=person, form=upload, status_code=409)
    if submission.created:
        with session_scope(runtime.engine) as session:
            repo.add_audit(
                session, actor=person.actor, action="uploaded", call_id=submission.call_id
            )
        flash(request, "ok", "Uploaded. The analysis is under way.")
    else:
        flash(request, "info", "This call was uploaded before; here it is.")
    path = path_for(request, "call", call_id=submission.call_id)
    return RedirectResponse(path, status_code=303)
