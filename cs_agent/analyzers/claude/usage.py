"""What an analysis by the Claude agent used: tokens, cost, turns and model requests."""

from __future__ import annotations

from dataclasses import dataclass, field

from claude_agent_sdk import ResultMessage

from cs_agent.core.domain import Usage


@dataclass
class UsageTally:
    """Usage summed over every session and query of one analysis."""

    totals: Usage = field(default_factory=Usage)
    message_ids: set[str] = field(default_factory=set)
    """The ids of the assistant messages seen: one for each model request."""

    @property
    def cost_usd(self) -> float:
        """The money spent so far."""
        return self.totals.cost_usd

    def add_result(self, result: ResultMessage, *, session_cost_before: float) -> None:
        """Add one query's result; ``session_cost_before`` is its session's cost until then."""
        usage = result.usage or {}
        totals = self.totals
        totals.input_tokens += int(usage.get("input_tokens") or 0)
        totals.output_tokens += int(usage.get("output_tokens") or 0)
        totals.cache_read_tokens += int(usage.get("cache_read_input_tokens") or 0)
        totals.cache_creation_tokens += int(usage.get("cache_creation_input_tokens") or 0)
        # total_cost_usd is the session's running total; add only this query's share.
        totals.cost_usd += max(0.0, (result.total_cost_usd or 0.0) - session_cost_before)
        totals.turns += result.num_turns
        totals.duration_ms += result.duration_ms

    def usage(self) -> Usage:
        """The totals, as the call's analysis reports them."""
        return self.totals.model_copy(
            update={"cost_usd": round(self.totals.cost_usd, 6), "requests": len(self.message_ids)}
        )
