"""The names of the agent's tools and of the in-process MCP server that serves them."""

from __future__ import annotations

SERVER_NAME = "cs"
RECORD_ITEM = "record_action_item"
FIND_ISSUES = "find_open_issues"
SET_SUMMARY = "set_summary"
DRAFT_EMAIL = "draft_followup_email"
NO_FOLLOWUP = "record_no_followup_needed"
