"""Token usage and its cost, accumulated over the requests of one rollout or teacher call."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from frontier.domain.specs import Pricing


@dataclass
class Usage:
    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    missing_usage: int = 0
    """Replies that carried no usage numbers (their tokens are unknown, not zero)."""

    def add(self, usage: Any) -> None:
        """Add one completion's `usage` object (or None when the endpoint sent none)."""
        self.requests += 1
        if usage is None:
            self.missing_usage += 1
            return
        self.input_tokens += int(getattr(usage, "prompt_tokens", 0) or 0)
        self.output_tokens += int(getattr(usage, "completion_tokens", 0) or 0)

    def cost(self, pricing: Pricing) -> float:
        return (
            self.input_tokens * pricing.input_per_million
            + self.output_tokens * pricing.output_per_million
        ) / 1_000_000

    def to_dict(self, pricing: Pricing) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "missing_usage": self.missing_usage,
            "cost_usd": self.cost(pricing),
        }
