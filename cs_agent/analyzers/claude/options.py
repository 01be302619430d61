"""The Claude Agent SDK options that give the agent as little power as possible.

The transcript is untrusted input, so the agent gets:
- our own short system prompt (``prompts/agent_system.md``), not the Claude Code preset;
- no built-in tools at all (``tools=[]``: no shell, files or web), only our tools in one
  in-process MCP server, listed in ``allowed_tools``; a ``PreToolUse`` hook denies any other
  name and ``permission_mode="dontAsk"`` refuses anything not pre-approved;
- the prompt delivered verbatim (an ``@/path`` in a transcript is not expanded into a file's
  contents), from an empty temporary working directory, with no settings files, no other MCP
  servers and no session written to disk.
"""

from __future__ import annotations

import logging
from typing import Any

from claude_agent_sdk import ClaudeAgentOptions, HookContext, HookMatcher
from claude_agent_sdk.types import HookInput, HookJSONOutput, ThinkingConfig

import cs_agent
from cs_agent.config import Settings
from prompts import load_prompt

log = logging.getLogger(__name__)

SYSTEM_PROMPT = "agent_system"


def agent_options(
    settings: Settings, *, allowed: list[str], server: Any, workdir: str, preset: bool = False
) -> ClaudeAgentOptions:
    """The agent's options. ``preset`` swaps in Claude Code's prompt and tools (benchmarks)."""
    thinking: ThinkingConfig = (
        {"type": "enabled", "budget_tokens": settings.thinking_tokens}
        if settings.thinking_tokens > 0
        else {"type": "disabled"}
    )
    return ClaudeAgentOptions(
        system_prompt=(
            {"type": "preset", "preset": "claude_code"}
            if preset
            else load_prompt(SYSTEM_PROMPT).text
        ),
        tools={"type": "preset", "preset": "claude_code"} if preset else [],
        mcp_servers={"cs": server},
        strict_mcp_config=True,
        allowed_tools=list(allowed),
        permission_mode="dontAsk",
        hooks={"PreToolUse": [HookMatcher(matcher=None, hooks=[only_tools(allowed)])]},
        max_turns=settings.max_turns,
        model=settings.model,
        thinking=thinking,
        cwd=workdir,
        setting_sources=[],
        verbatim_prompts=True,
        cli_path=settings.claude_cli,
        env=cli_environment(settings),
        extra_args={"no-session-persistence": None},
        client_app=f"cs-agent/{cs_agent.__version__}",
        stderr=_log_stderr,
    )


def cli_environment(settings: Settings) -> dict[str, str]:
    """What the CLI needs beyond the inherited environment."""
    env = {
        # Customer data must not leave through telemetry or update checks.
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "CLAUDE_CODE_MAX_RETRIES": str(max(0, settings.model_max_retries)),
    }
    if settings.anthropic_api_key is not None:
        env["ANTHROPIC_API_KEY"] = settings.anthropic_api_key.get_secret_value()
    if settings.anthropic_base_url:
        env["ANTHROPIC_BASE_URL"] = settings.anthropic_base_url
    return env


def only_tools(allowed: list[str]) -> Any:
    """A ``PreToolUse`` hook that denies every tool not in ``allowed``."""
    permitted = frozenset(allowed)

    async def hook(
        hook_input: HookInput, tool_use_id: str | None, context: HookContext
    ) -> HookJSONOutput:
        name = str(hook_input.get("tool_name", ""))
        if name in permitted:
            return {}
        return {
            "hookSpecificOutput": {
                "hookEventName": "PreToolUse",
                "permissionDecision": "deny",
                "permissionDecisionReason": f"{name} is not available to this agent; use only "
                + ", ".join(sorted(permitted)),
            }
        }

    return hook


def _log_stderr(line: str) -> None:
    log.debug("claude: %s", line.rstrip())
