"""What an analysis by the Claude agent used: tokens, cost, turns and model requests."""

from __future__ import annotations

from dataclasses import dataclass, field

from claude_agent_sdk import ResultMessage

from cs_agent.core.domain import Usage


@dataclass
class UsageTally:
    """Usage summed over every session and query of one analysis."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_creation_tokens: int = 0
    cost_usd: float = 0.0
    turns: int = 0
    duration_ms: int = 0
    message_ids: set[str] = field(default_factory=set)
    """The ids of the assistant messages seen: one for each model request."""

    def add_result(self, result: ResultMessage, *, session_cost_before: float) -> None:
        """Add one query's result; ``session_cost_before`` is its session's cost until then."""
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
        """The totals, as the call's analysis reports them."""
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
