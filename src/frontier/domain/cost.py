"""What a frontier spent, per stage and model, and the cost metrics eval teams ask for.

Stages: `profile` (the solver over the base tasks), `teacher` (proposing candidates),
`candidates` (the solver over a round's candidates) and `verification` (the verifiers
over a slice version). The figures, all in US dollars from each model's `pricing`:

- cost per rollout: cost / attempted rollouts (replayed attempts included, as their
  tokens are);
- cost per success: cost / rollouts that fully succeeded;
- accuracy per dollar (CLEAR's cost-normalized accuracy): success rate (successes /
  scored rollouts, i.e. pass@1) divided by the cost per rollout. CLEAR states accuracy in
  percent, so its CNA is 100 times this figure;
- cost per admitted task: (teacher + candidate rollouts) / admitted candidates, what
  making one new frontier task cost.

A figure whose denominator is 0 is None ("n/a"), and so is accuracy per dollar when
nothing was paid (heuristic models and the procedural teacher are free): never a
division by zero, never an infinite value.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any, Literal

Stage = Literal["profile", "teacher", "candidates", "verification", "placement"]
STAGES: tuple[Stage, ...] = ("profile", "teacher", "candidates", "verification", "placement")


@dataclass(frozen=True)
class Spend:
    """Tokens, cost and outcomes of one stage and model (or of several, added up)."""

    stage: str
    model: str
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    attempts: int = 0
    """Rollouts attempted; for the teacher, requests sent."""
    scored: int = 0
    """Rollouts that ended with a reward (not a harness error)."""
    successes: int = 0

    def plus(self, other: Spend) -> Spend:
        return replace(
            self,
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cost_usd=self.cost_usd + other.cost_usd,
            attempts=self.attempts + other.attempts,
            scored=self.scored + other.scored,
            successes=self.successes + other.successes,
        )

    @property
    def rollouts(self) -> bool:
        return self.stage != "teacher"

    @property
    def cost_per_rollout(self) -> float | None:
        return self.cost_usd / self.attempts if self.rollouts and self.attempts else None

    @property
    def cost_per_success(self) -> float | None:
        return self.cost_usd / self.successes if self.rollouts and self.successes else None

    @property
    def success_rate(self) -> float | None:
        return self.successes / self.scored if self.rollouts and self.scored else None

    @property
    def accuracy_per_dollar(self) -> float | None:
        """Success rate per dollar of mean rollout cost; None when nothing was paid."""
        rate, per_rollout = self.success_rate, self.cost_per_rollout
        if rate is None or per_rollout is None or per_rollout <= 0:
            return None
        return rate / per_rollout

    def as_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "model": self.model,
            "inputTokens": self.input_tokens,
            "outputTokens": self.output_tokens,
            "costUsd": self.cost_usd,
            "attempts": self.attempts,
            "successes": self.successes,
            "costPerRollout": self.cost_per_rollout,
            "costPerSuccess": self.cost_per_success,
            "accuracyPerDollar": self.accuracy_per_dollar,
        }


def add_up(lines: Iterable[Spend], stage: str, model: str) -> Spend:
    total = Spend(stage=stage, model=model)
    for line in lines:
        total = total.plus(line)
    return total


@dataclass(frozen=True)
class RoundSpend:
    """What one round's teacher and candidate rollouts cost, and what it admitted."""

    number: int
    teacher_usd: float = 0.0
    candidates_usd: float = 0.0
    admitted: int = 0

    @property
    def cost_usd(self) -> float:
        return self.teacher_usd + self.candidates_usd

    @property
    def cost_per_admitted(self) -> float | None:
        return self.cost_usd / self.admitted if self.admitted else None


@dataclass(frozen=True)
class CostSummary:
    """A frontier's spend: per stage and model, in total, since its last slice, per round."""

    lines: tuple[Spend, ...]
    admitted: int = 0
    rounds: tuple[RoundSpend, ...] = ()
    last_slice_version: int | None = None
    since_last_slice_usd: float = 0.0
    """Cost recorded at or after the latest slice version was published (all of it before one)."""
    max_cost_usd: float | None = None
    max_round_cost_usd: float | None = None

    @property
    def total(self) -> Spend:
        return add_up(self.lines, "all", "all")

    def stage(self, stage: str) -> Spend:
        return add_up((s for s in self.lines if s.stage == stage), stage, "all")

    @property
    def cost_usd(self) -> float:
        return self.total.cost_usd

    @property
    def cost_per_admitted(self) -> float | None:
        made = self.stage("teacher").cost_usd + self.stage("candidates").cost_usd
        return made / self.admitted if self.admitted else None

    @property
    def remaining_usd(self) -> float | None:
        return None if self.max_cost_usd is None else self.max_cost_usd - self.cost_usd

    def round_spend(self, number: int) -> RoundSpend:
        return next((r for r in self.rounds if r.number == number), RoundSpend(number))

    def as_dict(self) -> dict[str, Any]:
        return {
            "totalUsd": self.cost_usd,
            "sinceLastSliceUsd": self.since_last_slice_usd,
            "lastSliceVersion": self.last_slice_version,
            "inputTokens": self.total.input_tokens,
            "outputTokens": self.total.output_tokens,
            "costPerAdmittedTask": self.cost_per_admitted,
            "admitted": self.admitted,
            "budget": {
                "maxCostUsd": self.max_cost_usd,
                "maxRoundCostUsd": self.max_round_cost_usd,
                "remainingUsd": self.remaining_usd,
            },
            "stages": [self.stage(s).as_dict() for s in STAGES],
            "lines": [s.as_dict() for s in self.lines],
            "rounds": [
                {
                    "number": r.number,
                    "teacherUsd": r.teacher_usd,
                    "candidatesUsd": r.candidates_usd,
                    "costUsd": r.cost_usd,
                    "admitted": r.admitted,
                    "costPerAdmittedTask": r.cost_per_admitted,
                }
                for r in self.rounds
            ],
        }


class BudgetExceededError(Exception):
    """The next wave of rollouts (or teacher call) would cross the frontier's budget.

    Not a harness error: nothing failed, the work stopped cleanly before spending and
    resumes when the budget is raised (everything done so far is stored).
    """


def would_cross(
    spent: float, estimate: float, limit: float | None, what: str
) -> BudgetExceededError | None:
    """The error to raise when spending `estimate` more on top of `spent` crosses `limit`.

    Reaching the limit exactly is allowed; with nothing spent yet the estimate is 0, so
    the first wave runs and measures what a rollout costs.
    """
    if limit is None or spent + estimate <= limit:
        return None
    return BudgetExceededError(
        f"{what} ({limit:.4f} USD) would be crossed: {spent:.4f} USD spent, the next step "
        f"is estimated at {estimate:.4f} USD; raise it to resume"
    )


def mean_cost(lines: Iterable[Spend], model: str, stage: str | None = None) -> float:
    """The mean cost per attempt of a model so far (of one stage, or of every stage)."""
    found = [s for s in lines if s.model == model and (stage is None or s.stage == stage)]
    attempts = sum(s.attempts for s in found)
    return sum(s.cost_usd for s in found) / attempts if attempts else 0.0
