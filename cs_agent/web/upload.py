"""Uploading a call in the inbox: a transcript and what is known about the call."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from cs_agent.services.intake import IdempotencyConflict, submit_call
from cs_agent.web.deps import ApproverDep, FormDep, RuntimeDep, SettingsDep
from cs_agent.web.forms import UploadForm, read_upload
from cs_agent.web.render import flash, path_for, render
from storage import repo
from storage.db import session_scope

router = APIRouter()


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
