"""The inbox's "Draft one anyway", for a call the analysis found needed no follow-up email.

It goes through ``cs_agent.services.draft_anyway`` like the Slack button and the CLI: one
conditional update on the call, so a double click drafts once. The draft then waits for a
decision like any other; nothing is sent by this.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from cs_agent.services.draft_anyway import request_draft_anyway
from cs_agent.web.deps import ApproverDep, FormDep, RuntimeDep
from cs_agent.web.render import flash, path_for

router = APIRouter()


@router.post("/calls/{call_id}/draft-anyway", name="draft_anyway")
async def draft_anyway(
    request: Request, call_id: str, person: ApproverDep, form: FormDep, runtime: RuntimeDep
) -> Response:
    """Ask for the follow-up draft of ``call_id`` anyway; back to the call's page."""
    result = await request_draft_anyway(runtime, call_id, actor=person.actor)
    if result.started:
        flash(request, "ok", "Drafting the follow-up; it will wait here for approval.")
    else:
        flash(request, "info", f"No new draft: {result.detail}.")
    path = path_for(request, "call", call_id=call_id)
    return RedirectResponse(f"{path}#draft", status_code=303)
