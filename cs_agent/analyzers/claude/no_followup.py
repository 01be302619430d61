"""The agent's "no follow-up needed" tool, its checks, and the plain draft kept meanwhile.

The tool records, instead of a draft, that a call needs no follow-up email and why. The
reason must name why (a sentence, not a word), and the tool is refused when a customer-side
commitment was recorded: a customer who promised something gets a recap of it. Like every
tool, it only fills the ``AnalysisState``; a person still sees the call, and may ask for a
draft anyway, which starts from ``fallback_email`` (no second model run).
"""

from __future__ import annotations

from typing import Any

from cs_agent.analyzers.claude.checks import ToolRejection
from cs_agent.analyzers.claude.state import AnalysisState
from cs_agent.analyzers.claude.tool_names import DRAFT_EMAIL
from cs_agent.core.domain import EmailDraft, Side

NO_FOLLOWUP_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "reason": {
            "type": "string",
            "description": "Why no email is needed, in a sentence (e.g. an internal call "
            "with nobody from the customer; nothing was agreed or asked)",
        }
    },
    "required": ["reason"],
}

MIN_REASON_WORDS = 4
MAX_REASON_CHARS = 500


def record_no_followup(state: AnalysisState, args: dict[str, Any]) -> str:
    """Check and keep the reason no follow-up email is needed. Returns what to tell the model."""
    reason = " ".join(str(args.get("reason") or "").split())
    if len(reason.split()) < MIN_REASON_WORDS:
        raise ToolRejection(
            "reason must name why no email is needed, in a sentence (for example: nobody "
            "from the customer was on the call; nothing was agreed or asked)."
        )
    committed = [
        item for item in state.items if item.owner is not None and item.owner.side == Side.CUSTOMER
    ]
    if committed:
        listed = "; ".join(
            f"{item.title} ({item.owner.name if item.owner else '?'})" for item in committed[:3]
        )
        raise ToolRejection(
            f"the customer's side committed to something on this call ({listed}): a recap is "
            f"needed. Draft it with {DRAFT_EMAIL}."
        )
    state.no_followup_reason = reason[:MAX_REASON_CHARS]
    state.email = None
    return "Recorded: no follow-up email for this call. A person sees the call and the reason."


def fallback_email(state: AnalysisState, *, company: str) -> EmailDraft:
    """A plain recap (summary and items) kept for a person who asks for a draft anyway."""
    title = state.metadata.title or "our call"
    lines = ["Hi,", "", f"Thank you for your time on {title}."]
    if state.summary is not None and state.summary.text:
        lines += ["", state.summary.text]
    if state.items:
        lines += ["", "## Next steps", ""]
        for item in state.items:
            owner = f" ({item.owner.name})" if item.owner else ""
            due = f", by {item.due_date.isoformat()}" if item.due_date else ""
            lines.append(f"- {item.title}{owner}{due}")
    lines += ["", "Best,", company]
    to = [a.email for a in state.attendees if a.side == Side.CUSTOMER and a.email]
    return EmailDraft(subject=f"Follow-up: {title}", body="\n".join(lines), to=to)
