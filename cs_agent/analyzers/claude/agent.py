"""The Claude agent: an ``Analyzer`` built on claude-agent-sdk and its bundled ``claude`` CLI.

The transcript is untrusted input, so the agent is given as little power as possible:
- our own short system prompt (``prompts/agent_system.md``), not the Claude Code preset;
- no built-in tools at all (``tools=[]``: no shell, files or web), only our four tools in one
  in-process MCP server, listed in ``allowed_tools``; a ``PreToolUse`` hook denies any other
  name and ``permission_mode="dontAsk"`` refuses anything not pre-approved;
- the prompt is delivered verbatim (an ``@/path`` in a transcript is not expanded into a file's
  contents), from an empty temporary working directory, with no settings files, no other MCP
  servers and no session written to disk.

The transcript goes to the model in compact form between two marker lines carrying a random
code, after the call's metadata. A transcript longer than ``window_chars`` is analysed in
overlapping windows, one session each; items are de-duplicated as they are recorded, and the
last window writes the summary of the whole call and drafts the email.

Failures map onto the shared error taxonomy (``integrations.errors``): bad credentials are
``Unauthorized``; 429 is ``RateLimited``; 5xx, overload and unreachable APIs are ``Unavailable``
(the workflow retries those); everything else is a permanent ``AgentError`` whose message says
what to do.
"""

from __future__ import annotations

import logging
import os
import secrets
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from claude_agent_sdk import (
    AssistantMessage,
    ClaudeAgentOptions,
    ClaudeSDKClient,
    ClaudeSDKError,
    CLIConnectionError,
    CLINotFoundError,
    HookContext,
    HookMatcher,
    ProcessError,
    ResultError,
    ResultMessage,
    TextBlock,
)
from claude_agent_sdk.types import HookInput, HookJSONOutput, ThinkingConfig

import cs_agent
from cs_agent.analyzers.claude.tools import (
    DRAFT_EMAIL,
    SET_SUMMARY,
    AnalysisState,
    build_tools,
    describe_attendee,
    full_tool_name,
    tool_server,
)
from cs_agent.analyzers.claude.windows import Window, split_windows
from cs_agent.config import Settings
from cs_agent.core.domain import CallAnalysis, CallMetadata, CallSummary, Transcript, Usage
from cs_agent.core.errors import (
    ExternalError,
    RateLimited,
    RejectedInput,
    Unauthorized,
    Unavailable,
)
from cs_agent.core.ports import CheckResult, TaskTracker
from prompts import load_prompt

log = logging.getLogger(__name__)

ANALYZER_NAME = "claude"
SYSTEM = "claude"
SYSTEM_PROMPT = "agent_system"
CALL_PROMPT = "agent_call"
NUDGE_PROMPT = "agent_nudge"

# Other ways the bundled CLI can authenticate besides ANTHROPIC_API_KEY.
CREDENTIAL_VARIABLES = (
    "ANTHROPIC_AUTH_TOKEN",
    "CLAUDE_CODE_OAUTH_TOKEN",
    "CLAUDE_CODE_USE_BEDROCK",
    "CLAUDE_CODE_USE_VERTEX",
    "CLAUDE_CODE_USE_FOUNDRY",
)


# What the CLI reports when an error has no HTTP status (e.g. no credentials at all).
_STATUS_OF_KIND = {
    "authentication_failed": 401,
    "billing_error": 402,
    "rate_limit": 429,
    "invalid_request": 400,
}


class AgentError(ExternalError):
    """The agent run failed for a reason retrying will not fix; the message says what to do."""


def model_credentials(settings: Settings, environ: Mapping[str, str]) -> str | None:
    """Which model credential is configured (its variable's name), or None."""
    if settings.anthropic_api_key is not None and settings.anthropic_api_key.get_secret_value():
        return "ANTHROPIC_API_KEY"
    for name in CREDENTIAL_VARIABLES:
        if environ.get(name):
            return name
    return None


@dataclass
class _Tally:
    """Usage summed over every session and query of one analysis."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_creation_tokens: int = 0
    cost_usd: float = 0.0
    turns: int = 0
    duration_ms: int = 0
    message_ids: set[str] = field(default_factory=set)

    def add_result(self, result: ResultMessage, *, session_cost_before: float) -> None:
        usage = result.usage or {}
        self.input_tokens += int(usage.get("input_tokens") or 0)
        self.output_tokens += int(usage.get("output_tokens") or 0)
        self.cache_read_tokens += int(usage.get("cache_read_input_tokens") or 0)
        self.cache_creation_tokens += int(usage.get("cache_creation_input_tokens") or 0)
        # total_cost_usd is the session's running total; add only this query's share.
        self.cost_usd += max(0.0, (result.total_cost_usd or 0.0) - session_cost_before)
        self.turns += result.num_turns
        self.duration_ms += result.duration_ms

    def usage(self) -> Usage:
        return Usage(
            input_tokens=self.input_tokens,
            output_tokens=self.output_tokens,
            cache_read_tokens=self.cache_read_tokens,
            cache_creation_tokens=self.cache_creation_tokens,
            cost_usd=round(self.cost_usd, 6),
            turns=self.turns,
            requests=len(self.message_ids),
            duration_ms=self.duration_ms,
        )


class ClaudeAnalyzer:
    """Extracts grounded action items, a summary and the follow-up draft with a Claude agent."""

    name = ANALYZER_NAME

    def __init__(self, settings: Settings, *, environ: Mapping[str, str] | None = None) -> None:
        self._settings = settings
        self._environ = dict(os.environ if environ is None else environ)

    # --- the Analyzer port --------------------------------------------------------------------
    async def analyze(
        self, transcript: Transcript, metadata: CallMetadata, *, tracker: TaskTracker
    ) -> CallAnalysis:
        """Run the agent over the call (window by window when it is long)."""
        settings = self._settings
        state = AnalysisState(
            transcript=transcript, metadata=metadata, our_domain=_domain(settings.sender_email)
        )
        windows = split_windows(
            transcript, budget=settings.window_chars, overlap=settings.window_overlap_chars
        )
        tally = _Tally()
        nudged = False
        with tempfile.TemporaryDirectory(prefix="cs-agent-claude-") as workdir:
            for window in windows:
                nudged |= await self._run_window(state, window, tracker, tally, workdir)
        if state.email is None:
            raise AgentError(
                SYSTEM,
                "the agent finished without drafting the follow-up email, even when reminded; "
                "nothing was filed. Retry the call; if it keeps happening, check the transcript "
                f"and the model ({settings.model}).",
            )
        return CallAnalysis(
            analyzer=ANALYZER_NAME,
            summary=_merged_summary(state),
            action_items=list(state.items),
            email=state.email,
            usage=tally.usage(),
            notes=_notes(settings, windows, state, nudged),
        )

    async def _run_window(
        self,
        state: AnalysisState,
        window: Window,
        tracker: TaskTracker,
        tally: _Tally,
        workdir: str,
    ) -> bool:
        """One agent session over one window. Returns True when it had to be reminded."""
        tools = build_tools(state, tracker, last_window=window.is_last)
        options = self.options(
            allowed=[full_tool_name(t.name) for t in tools],
            server=tool_server(tools),
            workdir=workdir,
        )
        prompt = render_call_prompt(self._settings, state, window)
        nudged = False
        try:
            async with ClaudeSDKClient(options=options) as client:
                cost = await self._exchange(client, prompt, tally, session_cost=0.0)
                missing = _missing(state, last_window=window.is_last)
                if missing:
                    nudged = True
                    nudge = load_prompt(NUDGE_PROMPT).text.format(missing=" or ".join(missing))
                    await self._exchange(client, nudge.strip(), tally, session_cost=cost)
        except ExternalError:
            raise
        except ClaudeSDKError as error:
            raise self._translate(error) from error
        return nudged

    async def _exchange(
        self, client: ClaudeSDKClient, prompt: str, tally: _Tally, *, session_cost: float
    ) -> float:
        """Send one user message and read until its result. Returns the session's cost so far."""
        await client.query(prompt)
        api_error: str | None = None
        api_error_kind: str | None = None
        async for message in client.receive_response():
            if isinstance(message, AssistantMessage):
                if message.error is not None:
                    api_error = _text_of(message) or message.error
                    api_error_kind = message.error
                elif message.message_id and message.model != "<synthetic>":
                    tally.message_ids.add(message.message_id)
            elif isinstance(message, ResultMessage):
                tally.add_result(message, session_cost_before=session_cost)
                if message.is_error:
                    raise self._translate_result(message, api_error, api_error_kind)
                return message.total_cost_usd or session_cost
        raise Unavailable(SYSTEM, "the claude CLI stopped before reporting a result")

    # --- options --------------------------------------------------------------------------------
    def options(
        self, *, allowed: list[str], server: Any, workdir: str, preset: bool = False
    ) -> ClaudeAgentOptions:
        """The agent's options. ``preset`` swaps in Claude Code's prompt and tools (benchmarks)."""
        settings = self._settings
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
            env=self.cli_environment(),
            extra_args={"no-session-persistence": None},
            client_app=f"cs-agent/{cs_agent.__version__}",
            stderr=_log_stderr,
        )

    def cli_environment(self) -> dict[str, str]:
        """What the CLI needs beyond the inherited environment."""
        settings = self._settings
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

    # --- errors ---------------------------------------------------------------------------------
    def _translate_result(
        self, result: ResultMessage, api_error: str | None, kind: str | None
    ) -> ExternalError:
        detail = api_error or result.result or "; ".join(result.errors or []) or result.subtype
        if result.subtype == "error_max_turns":
            return self._max_turns_error()
        return self._http_error(result.api_error_status, detail, kind=kind)

    def _max_turns_error(self) -> AgentError:
        return AgentError(
            SYSTEM,
            f"the agent used all {self._settings.max_turns} turns without finishing; nothing "
            "was filed. Retry the call, or raise CS_AGENT_MAX_TURNS if long calls need more.",
        )

    def _http_error(
        self, status: int | None, detail: str, *, kind: str | None = None
    ) -> ExternalError:
        """The taxonomy error for a failed model request: by HTTP status, else by the CLI's kind."""
        where = self._settings.anthropic_base_url or self._environ.get("ANTHROPIC_BASE_URL")
        at = f" at {where}" if where else ""
        said = f"HTTP {status}: {detail}" if status else detail
        effective = status or _STATUS_OF_KIND.get(kind or "")
        if effective == 402:
            return Unauthorized(
                SYSTEM,
                f"the model API{at} refused the request for billing reasons ({said}). Check "
                "the account's plan and credit.",
            )
        if effective in (401, 403):
            return Unauthorized(
                SYSTEM,
                f"the model API{at} refused the credentials ({said}). Set ANTHROPIC_API_KEY "
                "to a valid key; `cs-agent doctor` checks it.",
            )
        if effective == 429:
            return RateLimited(SYSTEM, f"the model API{at} is rate-limiting us ({said})")
        if effective is not None and 400 <= effective < 500:
            return RejectedInput(
                SYSTEM,
                f"the model API{at} rejected the request ({said}). Check CS_AGENT_MODEL "
                f"({self._settings.model}).",
            )
        return Unavailable(SYSTEM, f"the model API{at} is unavailable ({said})")

    def _translate(self, error: ClaudeSDKError) -> ExternalError:
        if isinstance(error, CLINotFoundError):
            return AgentError(
                SYSTEM,
                f"the claude CLI was not found ({error}). It ships inside the claude-agent-sdk "
                "package: reinstall cs-agent, or set CS_AGENT_CLAUDE_CLI to a claude executable.",
            )
        if isinstance(error, ResultError):
            if error.subtype == "error_max_turns":
                return self._max_turns_error()
            return self._http_error(error.api_error_status, error.result or str(error))
        if isinstance(error, ProcessError | CLIConnectionError):
            stderr = getattr(error, "stderr", None)
            return AgentError(
                SYSTEM,
                f"the claude CLI failed ({error}){': ' + stderr if stderr else ''}. Run "
                "`cs-agent doctor` to check the agent's setup.",
            )
        return AgentError(SYSTEM, f"the agent failed: {error}")

    # --- doctor ---------------------------------------------------------------------------------
    async def check(self) -> list[CheckResult]:
        """A one-turn request through the CLI: proves the CLI starts and the key is accepted."""

        credential = model_credentials(self._settings, self._environ)
        results = [
            CheckResult(
                port="analyzer",
                adapter=self.name,
                ok=credential is not None,
                detail=f"credentials from {credential}"
                if credential
                else "no ANTHROPIC_API_KEY (the CLI may still have a login of its own)",
                fix=None if credential else "set ANTHROPIC_API_KEY",
            )
        ]
        try:
            with tempfile.TemporaryDirectory(prefix="cs-agent-claude-") as workdir:
                options = self.options(allowed=[], server=tool_server([]), workdir=workdir)
                options.max_turns = 1
                tally = _Tally()
                async with ClaudeSDKClient(options=options) as client:
                    await self._exchange(client, "Reply with the word: ok", tally, session_cost=0)
        except ExternalError as error:
            results.append(
                CheckResult(
                    port="analyzer",
                    adapter=self.name,
                    ok=False,
                    detail=f"model {self._settings.model}: {error}",
                    fix="see the message; ANTHROPIC_BASE_URL and CS_AGENT_MODEL are the usual causes",
                )
            )
        except ClaudeSDKError as error:
            results.append(
                CheckResult(
                    port="analyzer",
                    adapter=self.name,
                    ok=False,
                    detail=str(self._translate(error)),
                    fix="reinstall cs-agent, or set CS_AGENT_CLAUDE_CLI",
                )
            )
        else:
            results.append(
                CheckResult(
                    port="analyzer",
                    adapter=self.name,
                    ok=True,
                    detail=f"model {self._settings.model} answered (${tally.cost_usd:.4f})",
                )
            )
        return results


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


# --- prompts ------------------------------------------------------------------------------------


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


def _missing(state: AnalysisState, *, last_window: bool) -> list[str]:
    if not last_window:
        return []
    missing = []
    if state.summary is None:
        missing.append(f"set the summary ({SET_SUMMARY})")
    if state.email is None:
        missing.append(f"drafted the follow-up email ({DRAFT_EMAIL})")
    return missing


def _merged_summary(state: AnalysisState) -> CallSummary:
    final = state.summary or CallSummary(
        text=" ".join(s.text for s in state.part_summaries) or "(the agent wrote no summary)"
    )
    risks: list[str] = []
    for summary in [*state.part_summaries, final]:
        for risk in summary.risks:
            if risk.casefold() not in {r.casefold() for r in risks}:
                risks.append(risk)
    return final.model_copy(update={"risks": risks})


def _notes(
    settings: Settings, windows: list[Window], state: AnalysisState, nudged: bool
) -> list[str]:
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


def _text_of(message: AssistantMessage) -> str:
    return " ".join(b.text for b in message.content if isinstance(b, TextBlock)).strip()


def _domain(address: str) -> str | None:
    if "@" not in address:
        return None
    return address.rpartition("@")[2].lower() or None


def _log_stderr(line: str) -> None:
    log.debug("claude: %s", line.rstrip())
