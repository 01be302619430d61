"""What the Claude agent sends the model: tokens and round trips for short, medium and long calls.

Runs the real agent (claude-agent-sdk and its bundled ``claude`` CLI) against the local model
emulator, which plays a well-behaved model (every item and the summary in one turn, the draft
in the next, then done), and measures every request the CLI sent. For each call it prints:

- transcript tokens: the compact transcript, characters / 4 (an estimate, no tokenizer);
- other tokens of one request: everything else the first request carries (system prompt, tool
  schemas, call metadata, the CLI's own additions), measured the same way on the request body;
- round trips, and the input tokens summed over all of them;
- the same figures with Claude Code's preset system prompt and tools instead of ours, and the
  ratio of the two overheads.

Targets: at most 3 round trips for the 30-minute call (8 action items), and at most 2,000
tokens of non-transcript overhead in one request. Run: ``.venv/bin/python bench/agent_tokens.py``
(about ten seconds; nothing leaves the machine).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.emulators

from cs_agent.analyzers.claude.agent import ClaudeAnalyzer
from cs_agent.config import Settings
from integrations.local import LocalTaskTracker
from storage.db import make_engine, migrate
from tests.emulators.anthropic import AnthropicEmulator, request_input_text
from tests.emulators.scripted_calls import (
    ExampleCall,
    example,
    extraction_turns,
    joined,
)

MAX_ROUND_TRIPS_30_MIN = 3
MAX_OVERHEAD_TOKENS = 2_000


class PresetAnalyzer(ClaudeAnalyzer):
    """The same agent with Claude Code's preset system prompt and built-in tools."""

    def options(
        self, *, allowed: list[str], server: Any, workdir: str, preset: bool = False
    ) -> Any:
        return super().options(allowed=allowed, server=server, workdir=workdir, preset=True)


@dataclass
class Measure:
    """What one analysis sent."""

    transcript_tokens: int
    overhead_tokens: int
    round_trips: int
    input_tokens: int
    cost_usd: float
    items: int


def first_user_text(body: dict[str, Any]) -> str:
    content = body["messages"][0]["content"]
    if isinstance(content, str):
        return content
    return "\n".join(block.get("text", "") for block in content)


def tokens(chars: int) -> int:
    return round(chars / 4)


async def measure(
    emulator: AnthropicEmulator, call: ExampleCall, settings: Settings, *, preset: bool
) -> Measure:
    emulator.reset()
    emulator.script(extraction_turns(call))
    analyzer = (PresetAnalyzer if preset else ClaudeAnalyzer)(settings)
    engine = make_engine(settings.app_database_url)
    migrate(engine)
    try:
        tracker = LocalTaskTracker(engine, public_url=settings.public_url)
        analysis = await analyzer.analyze(call.transcript, call.metadata, tracker=tracker)
    finally:
        engine.dispose()
    bodies = emulator.message_requests()
    transcript = call.transcript.compact()
    if not bodies or transcript not in first_user_text(bodies[0]):
        raise SystemExit("the transcript was not sent whole in the first request")
    # The transcript as it stands in the JSON body (newlines and quotes escaped).
    sent = len(json.dumps(transcript, ensure_ascii=False)) - 2
    first = len(request_input_text(bodies[0]))
    total = sum(len(request_input_text(b)) for b in bodies)
    return Measure(
        transcript_tokens=tokens(sent),
        overhead_tokens=tokens(first - sent),
        round_trips=len(bodies),
        input_tokens=tokens(total),
        cost_usd=analysis.usage.cost_usd if analysis.usage else 0.0,
        items=len(analysis.action_items),
    )


async def main() -> int:
    calls = [
        ("short", example("initech-escalation")),
        ("30 min", example("acme-renewal")),
        (
            "90 min",
            joined(
                ["acme-renewal", "umbrella-qbr", "globex-onboarding"], title="Three calls as one"
            ),
        ),
    ]
    rows = []
    with tempfile.TemporaryDirectory() as tmp, AnthropicEmulator() as emulator:
        assert isinstance(emulator, AnthropicEmulator)
        os.environ["CLAUDE_CONFIG_DIR"] = str(Path(tmp) / "claude-config")
        for label, call in calls:
            results = {}
            for preset in (False, True):
                data_dir = Path(tmp) / f"{call.name}-{preset}"
                settings = Settings(
                    _env_file=None,  # type: ignore[call-arg]
                    data_dir=data_dir,
                    anthropic_api_key="sk-ant-bench",
                    anthropic_base_url=emulator.url,
                    model_max_retries=0,
                    company_name="Brightwave",
                    sender_email="cs@brightwave.example",
                )
                data_dir.mkdir(parents=True)
                results[preset] = await measure(emulator, call, settings, preset=preset)
            minutes = (call.transcript.duration() or 0) / 60
            rows.append((label, minutes, len(call.expected), results[False], results[True]))

    print("Claude agent: what one call sends the model (local emulator; tokens = characters / 4)")
    header = (
        f"{'call':<7} {'min':>5} {'items':>5} {'transcript':>10} | {'ours: other/req':>15} "
        f"{'trips':>5} {'input total':>11} {'cost $':>7} | {'preset: other/req':>17} "
        f"{'trips':>5} {'input total':>11} | {'ratio':>5}"
    )
    print(header)
    print("-" * len(header))
    for label, minutes, expected, ours, preset in rows:
        print(
            f"{label:<7} {minutes:>5.1f} {ours.items:>2}/{expected:<2} {ours.transcript_tokens:>10,} | "
            f"{ours.overhead_tokens:>15,} {ours.round_trips:>5} {ours.input_tokens:>11,} "
            f"{ours.cost_usd:>7.4f} | {preset.overhead_tokens:>17,} {preset.round_trips:>5} "
            f"{preset.input_tokens:>11,} | {preset.overhead_tokens / ours.overhead_tokens:>4.1f}x"
        )
    print(
        "other/req: tokens of the first request that are not the transcript (system prompt, tool "
        "schemas, call metadata, CLI additions).\ninput total: all round trips together (each "
        "resends the conversation; the real API serves repeats from its prompt cache).\ncost: "
        "the CLI's own estimate at list price from the emulator's usage, without cache discounts."
    )
    ours_30 = next(r[3] for r in rows if r[0] == "30 min")
    worst = max(r[3].overhead_tokens for r in rows)
    trips_ok = ours_30.round_trips <= MAX_ROUND_TRIPS_30_MIN
    overhead_ok = worst <= MAX_OVERHEAD_TOKENS
    print(
        f"target: 30-minute call in <= {MAX_ROUND_TRIPS_30_MIN} round trips: "
        f"{ours_30.round_trips} ({'met' if trips_ok else 'MISSED'})"
    )
    print(
        f"target: non-transcript overhead of one request <= {MAX_OVERHEAD_TOKENS:,} tokens: "
        f"{worst:,} ({'met' if overhead_ok else 'MISSED'})"
    )
    return 0 if trips_ok and overhead_ok else 1


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
