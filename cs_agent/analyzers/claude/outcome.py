"""What the agent's sessions add up to: the steps still missing, the summary and the notes."""

from __future__ import annotations

from cs_agent.analyzers.claude.options import SYSTEM_PROMPT
from cs_agent.analyzers.claude.state import AnalysisState
from cs_agent.analyzers.claude.tool_names import DRAFT_EMAIL, SET_SUMMARY
from cs_agent.analyzers.claude.windows import Window
from cs_agent.config import Settings
from cs_agent.core.domain import CallSummary
from prompts import load_prompt


def missing_steps(state: AnalysisState, *, last_window: bool) -> list[str]:
    """What the last window has not done yet (the summary, the draft); nothing before it."""
    if not last_window:
        return []
    missing = []
    if state.summary is None:
        missing.append(f"set the summary ({SET_SUMMARY})")
    if state.email is None and state.no_followup_reason is None:
        missing.append(f"drafted the follow-up email ({DRAFT_EMAIL})")
    return missing


def merged_summary(state: AnalysisState) -> CallSummary:
    """The whole call's summary (or the parts' joined), with every part's risks once each."""
    final = state.summary or CallSummary(
        text=" ".join(s.text for s in state.part_summaries) or "(the agent wrote no summary)"
    )
    risks: list[str] = []
    for summary in [*state.part_summaries, final]:
        for risk in summary.risks:
            if risk.casefold() not in {r.casefold() for r in risks}:
                risks.append(risk)
    return final.model_copy(update={"risks": risks})


def analysis_notes(
    settings: Settings, windows: list[Window], state: AnalysisState, nudged: bool
) -> list[str]:
    """The notes a person sees with the analysis: the model, the prompt version, anything unusual."""
    notes = [
        f"Claude agent, model {settings.model}, prompt {SYSTEM_PROMPT}@"
        f"{load_prompt(SYSTEM_PROMPT).version}"
    ]
    if len(windows) > 1:
        notes.append(
            f"long call: analysed in {len(windows)} overlapping windows of at most "
            f"{settings.window_chars:,} characters"
        )
    if state.rejections:
        notes.append(
            f"{len(state.rejections)} tool call(s) failed a check and were corrected by the agent"
        )
    if nudged:
        notes.append("the agent had to be reminded to finish the summary or the draft")
    if state.summary is None:
        notes.append("the agent wrote no summary of the whole call")
    return notes
