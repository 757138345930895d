"""The budget: `spec.budget.maxCostUsd` for the whole frontier, `maxRoundCostUsd` per round.

Checked before a round starts (`plan_round` holds it with `budget` once the spend has
reached the limit), before each wave of rollouts and before each teacher call (raising
BudgetExceededError when the step would cross a limit). A step's cost is estimated as
its size times the mean cost per attempt of the same model so far, across the
frontier's stages (the teacher: its mean cost per request); before the model's first
attempt the estimate is 0, so a first wave runs whenever the budget is not yet spent.
Everything done is stored, so raising the limit and running again resumes.

A stop is recorded as a `BudgetReached` event carrying the limits in force; it holds the
frontier (its BudgetExceeded condition, and in the cluster the stopped run) until the
limits change, so a run is not started again into the same wall.
"""

from __future__ import annotations

from frontier.domain.cost import BudgetExceededError, mean_cost, would_cross
from frontier.pipeline.context import Context
from frontier.pipeline.cost import cost_summary
from frontier.store import RunRecord

__all__ = [
    "BUDGET_REACHED",
    "BudgetExceededError",
    "check_teacher",
    "check_wave",
    "hold",
    "over_budget",
    "record_stop",
]

BUDGET_REACHED = "BudgetReached"
"""The store event of a stop: its data holds the limits it met under `budget`."""


def _limits(ctx: Context) -> dict[str, object]:
    return ctx.spec.budget.model_dump(mode="json", by_alias=True)


def over_budget(ctx: Context) -> bool:
    """Whether the frontier has spent its whole budget (no round may start)."""
    limit = ctx.spec.budget.max_cost_usd
    return limit is not None and cost_summary(ctx).cost_usd >= limit


def _check(ctx: Context, model: str, n: int, round: int | None, stage: str | None) -> None:
    budget = ctx.spec.budget
    if budget.max_cost_usd is None and (round is None or budget.max_round_cost_usd is None):
        return
    summary = cost_summary(ctx)
    estimate = n * mean_cost(summary.lines, model, stage)
    error = would_cross(summary.cost_usd, estimate, budget.max_cost_usd, "budget.maxCostUsd")
    if error is None and round is not None:
        error = would_cross(
            summary.round_spend(round).cost_usd,
            estimate,
            budget.max_round_cost_usd,
            f"budget.maxRoundCostUsd of round {round}",
        )
    if error is not None:
        raise error


def check_wave(ctx: Context, run: RunRecord, rollouts: int) -> None:
    """Raise BudgetExceededError if a wave of this many rollouts would cross a limit."""
    number = run.task_set.get("round")
    round = number if run.kind == "candidates" and isinstance(number, int) else None
    _check(ctx, run.model_name, rollouts, round, None)


def check_teacher(ctx: Context, model: str, round: int, requests: int = 1) -> None:
    """Raise BudgetExceededError if the teacher's next call would cross a limit."""
    _check(ctx, model, requests, round, "teacher")


def record_stop(ctx: Context, exc: BudgetExceededError) -> None:
    """Record a stop under the limits in force (once per setting of the limits)."""
    limits = _limits(ctx)
    last = ctx.store.events(ctx.frontier, reason=BUDGET_REACHED, limit=1)
    if last and last[-1].data.get("budget") == limits:
        return
    ctx.store.add_event(
        ctx.frontier, BUDGET_REACHED, str(exc), type="Warning", data={"budget": limits}
    )


def hold(ctx: Context) -> str | None:
    """Why the frontier's work is held by its budget now, or None.

    Held while the spend has reached `maxCostUsd`, or while the limits are the ones the
    last stop met; changing them (raising, or removing a limit) releases the hold.
    """
    budget = ctx.spec.budget
    if budget.max_cost_usd is not None:
        spent = cost_summary(ctx).cost_usd
        if spent >= budget.max_cost_usd:
            return (
                f"budget.maxCostUsd ({budget.max_cost_usd:.4f} USD) is spent: {spent:.4f} USD; "
                "raise it to resume"
            )
    last = ctx.store.events(ctx.frontier, reason=BUDGET_REACHED, limit=1)
    if last and last[-1].data.get("budget") == _limits(ctx):
        return last[-1].message
    return None
