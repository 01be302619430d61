"""Example calls and the scripted model turns that analyse them, for the agent tests and bench.

``extraction_turns`` plays a well-behaved model: in its first turn it searches for open issues
once, records every expected action item and sets the summary (all in parallel tool calls); in
its second it drafts the follow-up email; in its third it says it is done. That is the shape
the agent's prompt asks for, and three round trips is the budget for a normal call.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cs_agent.analyzers.claude.tools import (
    DRAFT_EMAIL,
    FIND_ISSUES,
    NO_FOLLOWUP,
    RECORD_ITEM,
    SET_SUMMARY,
    full_tool_name,
)
from cs_agent.core.domain import CallMetadata, Side, Transcript, Utterance
from cs_agent.core.transcripts import parse_transcript

from .anthropic import Text, ToolUse, Turn, turn

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

RECORD = full_tool_name(RECORD_ITEM)
FIND = full_tool_name(FIND_ISSUES)
SUMMARY = full_tool_name(SET_SUMMARY)
DRAFT = full_tool_name(DRAFT_EMAIL)
NO_FOLLOWUP_TOOL = full_tool_name(NO_FOLLOWUP)


@dataclass(frozen=True)
class ExampleCall:
    """One example call: transcript, metadata and the reference action items."""

    name: str
    transcript: Transcript
    metadata: CallMetadata
    expected: list[dict[str, Any]]


def example(name: str) -> ExampleCall:
    """``examples/<name>.*`` parsed, with its metadata and expected items."""
    source = next(
        p for p in EXAMPLES.glob(f"{name}.*") if ".meta" not in p.name and ".expected" not in p.name
    )
    metadata = CallMetadata.model_validate_json((EXAMPLES / f"{name}.meta.json").read_text())
    expected = json.loads((EXAMPLES / f"{name}.expected.json").read_text())["action_items"]
    return ExampleCall(name, parse_transcript(source.read_bytes()), metadata, expected)


def joined(names: list[str], *, title: str) -> ExampleCall:
    """Several example calls played back to back (times shifted) as one long call."""
    utterances: list[Utterance] = []
    attendees = []
    expected: list[dict[str, Any]] = []
    offset = 0.0
    first = example(names[0])
    for name in names:
        call = example(name)
        for u in call.transcript.utterances:
            utterances.append(
                u.model_copy(
                    update={
                        "start": None if u.start is None else u.start + offset,
                        "end": None if u.end is None else u.end + offset,
                    }
                )
            )
        offset += (call.transcript.duration() or 0.0) + 5.0
        attendees += [a for a in call.metadata.attendees if a not in attendees]
        expected += call.expected
    dates = [example(n).metadata.call_date for n in names]
    earliest = min((d for d in dates if d is not None), default=None)
    metadata = first.metadata.model_copy(
        update={"title": title, "attendees": attendees, "call_date": earliest}
    )
    transcript = Transcript(format=first.transcript.format, utterances=utterances)
    return ExampleCall("+".join(names), transcript, metadata, expected)


def item_input(item: dict[str, Any], transcript: Transcript) -> dict[str, Any]:
    """The record_action_item arguments a careful model would send for an expected item."""
    stamp = next(
        (u.start for u in transcript.utterances if item["quote"] in u.text),
        None,
    )
    minutes, seconds = divmod(int(stamp or 0), 60)
    return {
        "title": item["title"],
        "description": f"Agreed on the call: {item['quote']}",
        "owner": item["owner"],
        "side": item["side"],
        "due_date": item["due_date"],
        "priority": "high" if item["due_date"] else "medium",
        "quote": item["quote"],
        "quote_time": f"{minutes:02d}:{seconds:02d}",
    }


def summary_input(call: ExampleCall) -> dict[str, Any]:
    """A plausible summary for ``call``."""
    return {
        "text": f"{call.metadata.title}: {len(call.expected)} follow-ups were agreed.",
        "sentiment": "mixed",
        "risks": ["Renewal at risk if follow-ups slip"],
    }


def email_input(call: ExampleCall, *, sender: str = "the Brightwave team") -> dict[str, Any]:
    """A follow-up draft to the customer's attendees, cc ours, listing the expected items."""
    customers = [a.email for a in call.metadata.attendees if a.side == Side.CUSTOMER and a.email]
    ours = [a.email for a in call.metadata.attendees if a.side == Side.US and a.email]
    steps = "\n".join(
        f"- **{i['title']}** ({i['owner']}{', by ' + i['due_date'] if i['due_date'] else ''})"
        for i in call.expected
    )
    return {
        "subject": f"Follow-up: {call.metadata.title}",
        "body": f"Hi all,\n\nThank you for your time today. Next steps:\n\n{steps}\n\n{sender}",
        "to": customers,
        "cc": ours,
    }


def extraction_turns(
    call: ExampleCall,
    *,
    search: str = "exports time out",
    links: dict[str, str] | None = None,
) -> list[Turn]:
    """Three round trips: everything recorded at once, then the draft, then done.

    ``links`` maps an expected item's title to the id of an open issue the search finds: those
    items are recorded in the second turn, once the search has answered (tools of one turn
    run concurrently).
    """
    links = links or {}
    now: list[ToolUse] = []
    later: list[ToolUse] = []
    for item in call.expected:
        args = item_input(item, call.transcript)
        if item["title"] in links:
            later.append(ToolUse(RECORD, {**args, "existing_issue_id": links[item["title"]]}))
        else:
            now.append(ToolUse(RECORD, args))
    first = [ToolUse(FIND, {"query": search}), *now, ToolUse(SUMMARY, summary_input(call))]
    return [
        turn(Text("Recording the action items and the summary."), *first),
        turn(*later, ToolUse(DRAFT, email_input(call))),
        turn(Text("done")),
    ]


def tool_results(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The ``tool_result`` blocks of the last user message of a request."""
    last = body["messages"][-1]
    content = last["content"] if isinstance(last["content"], list) else []
    return [block for block in content if block.get("type") == "tool_result"]


def result_text(block: dict[str, Any]) -> str:
    """A tool_result's text, whatever shape its content has."""
    content = block.get("content")
    if isinstance(content, str):
        return content
    return " ".join(part.get("text", "") for part in content or [] if isinstance(part, dict))
