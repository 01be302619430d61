"""Deciding on a draft in the inbox: approve, edit or reject it.

Decisions go through ``cs_agent.services.approvals`` like every other channel's: conditional
updates that carry the draft version the person was looking at, so a stale page or a double
click cannot approve text nobody read or send an email twice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from cs_agent.core.domain import DraftKind, DraftStatus
from cs_agent.services import approvals
from cs_agent.web.deps import ApproverDep, FormDep, RuntimeDep
from cs_agent.web.forms import read_edit, read_version
from cs_agent.web.pages import render_call
from cs_agent.web.render import flash, path_for, render
from cs_agent.web.versions import version_changes
from storage import repo
from storage.db import session_scope
from storage.models import DraftRow

router = APIRouter()

MAX_REASON_CHARS = 1000

Message = tuple[str, str]
"""A flash message: its kind (``ok``, ``info`` or ``error``) and its text."""


async def get_draft(draft_id: str, runtime: RuntimeDep) -> DraftRow:
    """The draft the path names; a 404 when there is none."""
    with session_scope(runtime.engine) as session:
        draft = repo.get_draft(session, draft_id=draft_id)
    if draft is None:
        raise HTTPException(404, f"There is no draft {draft_id}.")
    return draft


# Declared after the person and the form: a stranger or a forged form is refused before the
# draft is even looked up.
DraftDep = Annotated[DraftRow, Depends(get_draft)]


def back_to_draft(request: Request, call_id: str) -> RedirectResponse:
    """To the draft on its call's page (a 303, so a reload does not post again)."""
    path = path_for(request, "call", call_id=call_id)
    return RedirectResponse(f"{path}#draft", status_code=303)


def back_to_decided(request: Request, draft: DraftRow) -> RedirectResponse:
    """Back to where the draft is shown: its call's page, or an update's own page."""
    if draft.kind == DraftKind.UPDATE:
        return RedirectResponse(path_for(request, "update", draft_id=draft.id), status_code=303)
    return back_to_draft(request, draft.call_id)


async def decide(
    request: Request,
    draft: DraftRow,
    decision: Awaitable[approvals.Decision],
    *,
    said: Callable[[approvals.Decision], Message],
    refused: str | Callable[[approvals.DecisionRefused], Response],
) -> Response:
    """Make one decision on ``draft`` and go back to it, saying how it went.

    ``said`` words the outcome. A refusal (the draft moved on, or the page showed an older
    version) is flashed as ``"<refused>: <why>."``, or, when ``refused`` is a function, answered
    with the page it returns.
    """
    try:
        made = await decision
    except approvals.DecisionRefused as refusal:
        if not isinstance(refused, str):
            return refused(refusal)
        flash(request, "error", f"{refused}: {refusal}.")
    else:
        flash(request, *said(made))
    return back_to_decided(request, draft)


@router.post("/drafts/{draft_id}/approve", name="approve")
async def approve(
    request: Request, person: ApproverDep, form: FormDep, draft: DraftDep, runtime: RuntimeDep
) -> Response:
    """Approve the version the person saw, once they confirmed; the email is sent once.

    Without ``confirm=send`` this shows what will be sent (To, Cc, Subject) and a Send button.
    A stale version or a draft already decided goes straight to the decision, which refuses it
    or says it is already approved: neither sends anything.
    """
    version = read_version(form)
    if version is None:
        flash(request, "error", "The form is missing the draft version; reload the page.")
        return back_to_decided(request, draft)
    if draft.status == DraftStatus.PENDING and not draft.to:
        flash(request, "error", "Not approved: the email has no recipient yet. Edit it first.")
        return back_to_decided(request, draft)
    if (
        form.get("confirm") != "send"
        and draft.status == DraftStatus.PENDING
        and draft.version == version
    ):
        # Nothing is sent from the call page's button: first the recipients and the subject,
        # then a Send that posts here again with confirm=send. It works without JavaScript.
        with session_scope(runtime.engine) as session:
            events = repo.list_audit(session, call_id=draft.call_id)
        return render(
            request, "confirm.html", person=person, draft=draft, changes=version_changes(events)
        )

    def said(decision: approvals.Decision) -> Message:
        if decision.changed:
            return "ok", f"Approved version {version}. Sending the email…"
        decided = decision.draft.decided_by or "someone"
        return "info", f"Already approved by {decided}; it is sent once."

    return await decide(
        request,
        draft,
        approvals.approve(runtime, draft_id=draft.id, actor=person.actor, version=version),
        said=said,
        refused="Not approved",
    )


@router.post("/drafts/{draft_id}/edit", name="edit")
async def edit(
    request: Request, person: ApproverDep, form: FormDep, draft: DraftDep, runtime: RuntimeDep
) -> Response:
    """Save an edit as the next version, which waits for approval again."""
    edited = read_edit(form)
    if edited.errors:
        return render_call(request, runtime, draft.call_id, person, edit=edited, status_code=422)
    assert edited.version is not None

    def not_saved(refusal: approvals.DecisionRefused) -> Response:
        edited.errors["form"] = f"Not saved: {refusal}."
        return render_call(request, runtime, draft.call_id, person, edit=edited, status_code=409)

    return await decide(
        request,
        draft,
        approvals.edit(
            runtime,
            draft_id=draft.id,
            actor=person.actor,
            expected_version=edited.version,
            subject=edited.subject,
            body=edited.body,
            to=edited.to_list,
            cc=edited.cc_list,
        ),
        said=lambda decision: (
            "ok",
            f"Saved as version {decision.draft.version}. Review it, then approve to send.",
        ),
        refused=not_saved,
    )


@router.post("/drafts/{draft_id}/reject", name="reject")
async def reject(
    request: Request, person: ApproverDep, form: FormDep, draft: DraftDep, runtime: RuntimeDep
) -> Response:
    """Reject the draft: nothing will be sent."""
    reason = str(form.get("reason") or "").strip()[:MAX_REASON_CHARS] or None
    return await decide(
        request,
        draft,
        approvals.reject(runtime, draft_id=draft.id, actor=person.actor, reason=reason),
        said=lambda decision: (
            ("ok", "Rejected. Nothing will be sent.")
            if decision.changed
            else ("info", "It was already rejected.")
        ),
        refused="Not rejected",
    )
