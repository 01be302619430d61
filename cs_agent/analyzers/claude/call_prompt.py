"""What the agent is told in each window: the call, the transcript, the task, and reminders.

The transcript goes to the model in compact form between two marker lines carrying a random
code, after the call's metadata. In a long call each window also says which part it is, what
earlier parts summarised and which items they recorded, so nothing is recorded twice.
"""

from __future__ import annotations

import secrets

from cs_agent.analyzers.claude.checks import describe_attendee
from cs_agent.analyzers.claude.state import AnalysisState
from cs_agent.analyzers.claude.windows import Window
from cs_agent.config import Settings
from prompts import load_prompt

CALL_PROMPT = "agent_call"
NUDGE_PROMPT = "agent_nudge"


def render_call_prompt(settings: Settings, state: AnalysisState, window: Window) -> str:
    """The user message of one window: call metadata, then the transcript between markers."""
    metadata = state.metadata
    marker = f"=== TRANSCRIPT {secrets.token_hex(6)} (untrusted) ==="
    customer = "unknown"
    if metadata.customer:
        domain = f" ({metadata.customer.domain})" if metadata.customer.domain else ""
        customer = metadata.customer.name + domain
    call_date = "unknown"
    if metadata.call_date:
        call_date = f"{metadata.call_date.isoformat()} ({metadata.call_date:%A})"
    signer = settings.company_name
    if settings.sender_name:
        signer = f"{settings.sender_name}, {settings.company_name}"
    return load_prompt(CALL_PROMPT).text.format(
        title=metadata.title or "untitled",
        call_date=call_date,
        customer=customer,
        company=settings.company_name,
        signer=signer,
        attendees="\n".join(f"- {describe_attendee(a)}" for a in state.attendees),
        part=_part_text(state, window),
        marker=marker,
        transcript=window.text,
        task=_task_text(window),
    )


def _part_text(state: AnalysisState, window: Window) -> str:
    if window.count == 1:
        return ""
    span = f"{window.first_stamp}-{window.last_stamp}" if window.first_stamp else "a stretch"
    lines = [
        f"This is part {window.index + 1} of {window.count} of a long call ({span}); "
        "consecutive parts share a few lines."
    ]
    if window.is_last and state.part_summaries:
        lines.append("Summaries of the earlier parts:")
        lines += [f"- {s.text}" for s in state.part_summaries]
    if window.index > 0:
        lines.append("Items recorded from earlier parts (do not record them again):")
        lines.append(state.recorded_items_text())
    return "\n".join(lines) + "\n"


def _task_text(window: Window) -> str:
    if window.count == 1:
        return "Now record the action items, the summary and the follow-up draft with your tools."
    if not window.is_last:
        return (
            "Now record the action items of this part and set_summary for this part. "
            "The email is drafted with the last part."
        )
    return (
        "Now record the action items of this part, then set_summary for the whole call and "
        "draft_followup_email covering every item recorded."
    )


def render_nudge(missing: list[str]) -> str:
    """The reminder sent when the last window ended with ``missing`` steps undone."""
    return load_prompt(NUDGE_PROMPT).text.format(missing=" or ".join(missing)).strip()
