"""The agent's tools, served in-process over MCP.

The model can act only through four tools: record an action item, look up open issues, set
the summary, draft the follow-up email. None of them sends or files anything: they fill an
``AnalysisState`` that the workflow files and shows a person afterwards. A call that fails a
check returns ``is_error`` with the reason, so the model corrects itself on its next turn.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from claude_agent_sdk import SdkMcpTool, create_sdk_mcp_server
from claude_agent_sdk.types import McpSdkServerConfig

from cs_agent.analyzers.claude.checks import PRIORITIES, ToolRejection
from cs_agent.analyzers.claude.no_followup import NO_FOLLOWUP_SCHEMA, record_no_followup
from cs_agent.analyzers.claude.state import AnalysisState
from cs_agent.analyzers.claude.tool_names import (
    DRAFT_EMAIL,
    FIND_ISSUES,
    NO_FOLLOWUP,
    RECORD_ITEM,
    SERVER_NAME,
    SET_SUMMARY,
)
from cs_agent.core.ports import TaskTracker

__all__ = [
    "DRAFT_EMAIL",
    "FIND_ISSUES",
    "NO_FOLLOWUP",
    "RECORD_ITEM",
    "SERVER_NAME",
    "SET_SUMMARY",
    "build_tools",
    "full_tool_name",
    "tool_server",
]


def full_tool_name(short: str) -> str:
    """The name the model calls a tool by: ``mcp__<server>__<tool>``."""
    return f"mcp__{SERVER_NAME}__{short}"


# --- input schemas ------------------------------------------------------------------------------

_RECORD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "title": {"type": "string", "description": "Short imperative title"},
        "description": {"type": "string", "description": "What exactly, with context"},
        "owner": {"type": "string", "description": "The attendee who will do it, name as listed"},
        "side": {"type": "string", "enum": ["customer", "us"]},
        "due_date": {
            "type": ["string", "null"],
            "description": "YYYY-MM-DD, resolved against the call date; null if none was said",
        },
        "priority": {"type": "string", "enum": list(PRIORITIES)},
        "quote": {
            "type": "string",
            "description": "One sentence copied word for word from one transcript line, "
            "without the [mm:ss] Speaker: prefix",
        },
        "quote_time": {"type": "string", "description": "mm:ss of that line"},
        "existing_issue_id": {
            "type": "string",
            "description": f"An id from {FIND_ISSUES} whose open issue already covers this item",
        },
    },
    "required": ["title", "owner", "due_date", "quote"],
}
_FIND_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"query": {"type": "string", "description": "A few words of the item"}},
    "required": ["query"],
}
_SUMMARY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "text": {"type": "string", "description": "2-4 sentences"},
        "sentiment": {"type": "string", "enum": ["positive", "neutral", "negative", "mixed"]},
        "risks": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["text", "sentiment", "risks"],
}
_DRAFT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "subject": {"type": "string"},
        "body": {"type": "string", "description": "Markdown"},
        "to": {"type": "array", "items": {"type": "string"}},
        "cc": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["subject", "body", "to"],
}

Handler = Callable[[dict[str, Any]], Awaitable[str]]


def _mcp_tool(
    state: AnalysisState, name: str, description: str, schema: dict[str, Any], run: Handler
) -> SdkMcpTool[Any]:
    async def handler(args: dict[str, Any]) -> dict[str, Any]:
        try:
            text = await run(args)
        except ToolRejection as rejection:
            state.rejections.append(f"{name}: {rejection.reason}")
            return {"content": [{"type": "text", "text": rejection.reason}], "is_error": True}
        return {"content": [{"type": "text", "text": text}]}

    return SdkMcpTool(name=name, description=description, input_schema=schema, handler=handler)


def build_tools(
    state: AnalysisState, tracker: TaskTracker, *, last_window: bool
) -> list[SdkMcpTool[Any]]:
    """The tools of one window. Only the last window (the whole call, when short) drafts."""

    async def record(args: dict[str, Any]) -> str:
        return state.record_item(args)

    async def find(args: dict[str, Any]) -> str:
        return await state.find_issues(args, tracker)

    async def summary(args: dict[str, Any]) -> str:
        return state.set_summary(args, whole_call=last_window)

    async def draft(args: dict[str, Any]) -> str:
        return state.draft_email(args)

    async def no_followup(args: dict[str, Any]) -> str:
        return record_no_followup(state, args)

    tools = [
        _mcp_tool(
            state,
            RECORD_ITEM,
            "Record one action item: a commitment made, or a request accepted, on the call. "
            "Checked against the transcript and attendees; an error says what to fix.",
            _RECORD_SCHEMA,
            record,
        ),
        _mcp_tool(
            state,
            FIND_ISSUES,
            "Search the customer's open issues, to link an item that is already tracked "
            "instead of filing it again.",
            _FIND_SCHEMA,
            find,
        ),
        _mcp_tool(
            state,
            SET_SUMMARY,
            "Set the summary of the call" + ("" if last_window else " part you were given") + ".",
            _SUMMARY_SCHEMA,
            summary,
        ),
    ]
    if last_window:
        tools.append(
            _mcp_tool(
                state,
                DRAFT_EMAIL,
                "Save the follow-up email draft; a person approves it before anything is sent. "
                "Recipients: attendees or addresses at the customer's domain only. Calling "
                "again replaces the draft.",
                _DRAFT_SCHEMA,
                draft,
            )
        )
        tools.append(
            _mcp_tool(
                state,
                NO_FOLLOWUP,
                "Instead of a draft: record that this call needs no follow-up email, and why "
                "(nobody from the customer was on it, nothing was agreed or asked, or the "
                "customer asked for no recap). Refused when a customer-side commitment was "
                "recorded.",
                NO_FOLLOWUP_SCHEMA,
                no_followup,
            )
        )
    return tools


def tool_server(tools: list[SdkMcpTool[Any]]) -> McpSdkServerConfig:
    """One in-process MCP server holding ``tools``."""
    return create_sdk_mcp_server(SERVER_NAME, tools=tools)
