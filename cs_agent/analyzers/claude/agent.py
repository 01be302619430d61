"""The Claude agent: an ``Analyzer`` built on claude-agent-sdk and its bundled ``claude`` CLI.

The agent runs with as little power as possible (see ``options``): our own system prompt, only
our tools, nothing written to disk. A transcript longer than ``window_chars`` is analysed in
overlapping windows, one session each; items are de-duplicated as they are recorded, and the
last window writes the summary of the whole call and drafts the email. A last window that
stops before both is reminded once. Failures become the shared error taxonomy (see ``errors``).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from typing import Any

from claude_agent_sdk import (
    AssistantMessage,
    ClaudeAgentOptions,
    ClaudeSDKClient,
    ClaudeSDKError,
    ResultMessage,
    TextBlock,
)

from cs_agent.analyzers.claude import updates
from cs_agent.analyzers.claude.call_prompt import render_call_prompt, render_nudge
from cs_agent.analyzers.claude.credentials import credential_check, model_credentials
from cs_agent.analyzers.claude.errors import SYSTEM, AgentError, result_error, sdk_error
from cs_agent.analyzers.claude.no_followup import fallback_email
from cs_agent.analyzers.claude.options import agent_options
from cs_agent.analyzers.claude.outcome import analysis_notes, merged_summary, missing_steps
from cs_agent.analyzers.claude.state import AnalysisState
from cs_agent.analyzers.claude.tools import build_tools, full_tool_name, tool_server
from cs_agent.analyzers.claude.usage import UsageTally
from cs_agent.analyzers.claude.windows import Window, split_windows
from cs_agent.config import Settings
from cs_agent.core.domain import CallAnalysis, CallMetadata, Transcript, UpdateRequest
from cs_agent.core.errors import ExternalError, Unavailable
from cs_agent.core.ports import CheckResult, TaskTracker

__all__ = ["ANALYZER_NAME", "AgentError", "ClaudeAnalyzer", "model_credentials"]

ANALYZER_NAME = "claude"


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
        tally = UsageTally()
        nudged = False
        with tempfile.TemporaryDirectory(prefix="cs-agent-claude-") as workdir:
            for window in windows:
                nudged |= await self._run_window(state, window, tracker, tally, workdir)
        email = state.email
        if email is None and state.no_followup_reason is not None:
            # Kept for a person who asks for a draft anyway; no model run is needed for it.
            email = fallback_email(state, company=settings.company_name)
        if email is None:
            raise AgentError(
                SYSTEM,
                "the agent finished without drafting the follow-up email, even when reminded; "
                "nothing was filed. Retry the call; if it keeps happening, check the transcript "
                f"and the model ({settings.model}).",
            )
        return CallAnalysis(
            analyzer=ANALYZER_NAME,
            summary=merged_summary(state),
            action_items=list(state.items),
            email=email,
            usage=tally.usage(),
            notes=analysis_notes(settings, windows, state, nudged),
            no_followup_reason=state.no_followup_reason if state.email is None else None,
        )

    async def _run_window(
        self,
        state: AnalysisState,
        window: Window,
        tracker: TaskTracker,
        tally: UsageTally,
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
                missing = missing_steps(state, last_window=window.is_last)
                if missing:
                    nudged = True
                    await self._exchange(client, render_nudge(missing), tally, session_cost=cost)
        except ExternalError:
            raise
        except ClaudeSDKError as error:
            raise sdk_error(error, settings=self._settings, environ=self._environ) from error
        return nudged

    async def _exchange(
        self, client: ClaudeSDKClient, prompt: str, tally: UsageTally, *, session_cost: float
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
                    raise result_error(
                        message,
                        api_error,
                        api_error_kind,
                        settings=self._settings,
                        environ=self._environ,
                    )
                return message.total_cost_usd or session_cost
        raise Unavailable(SYSTEM, "the claude CLI stopped before reporting a result")

    def options(
        self, *, allowed: list[str], server: Any, workdir: str, preset: bool = False
    ) -> ClaudeAgentOptions:
        """The agent's options. ``preset`` swaps in Claude Code's prompt and tools (benchmarks)."""
        return agent_options(
            self._settings, allowed=allowed, server=server, workdir=workdir, preset=preset
        )

    # --- customer updates (the UpdateDrafter port) ---------------------------------------------
    async def draft_update(self, request: UpdateRequest) -> str:
        """The body of an update telling the customer its promises were kept (one session)."""

        async def exchange(client: ClaudeSDKClient, prompt: str, tally: UsageTally) -> float:
            return await self._exchange(client, prompt, tally, session_cost=0.0)

        return await updates.draft_update(
            request, settings=self._settings, environ=self._environ, exchange=exchange
        )

    # --- doctor ---------------------------------------------------------------------------------
    async def check(self) -> list[CheckResult]:
        """A one-turn request through the CLI: proves the CLI starts and the key is accepted."""
        results = [credential_check(self._settings, self._environ, adapter=self.name)]
        try:
            with tempfile.TemporaryDirectory(prefix="cs-agent-claude-") as workdir:
                options = self.options(allowed=[], server=tool_server([]), workdir=workdir)
                options.max_turns = 1
                tally = UsageTally()
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
                    detail=str(sdk_error(error, settings=self._settings, environ=self._environ)),
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


def _text_of(message: AssistantMessage) -> str:
    return " ".join(b.text for b in message.content if isinstance(b, TextBlock)).strip()


def _domain(address: str) -> str | None:
    if "@" not in address:
        return None
    return address.rpartition("@")[2].lower() or None
