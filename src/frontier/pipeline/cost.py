"""The one read model of what a frontier spent: status, the report and the metrics use it.

Rollout stages come from each run's totals (`RunRecord.kind`: profile, candidates,
verification; tokens and cost include replayed attempts), the teacher from its stored
usage per parent. "Since the last slice" is everything recorded at or after the latest
slice version was published (everything, before the first slice).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from frontier.domain.cost import CostSummary, RoundSpend, Spend
from frontier.domain.runs import RunTotals
from frontier.domain.specs import BudgetSpec
from frontier.pipeline.context import Context
from frontier.store import RunRecord, Store

Totals = Callable[[RunRecord], RunTotals]


def cost_summary(ctx: Context, *, totals: Totals | None = None) -> CostSummary:
    """The frontier's spend; `totals` may serve finished runs' totals from a cache."""
    return spend_of(ctx.store, ctx.frontier, ctx.spec.budget, totals=totals)


def spend_of(
    store: Store, frontier: str, budget: BudgetSpec | None = None, *, totals: Totals | None = None
) -> CostSummary:
    """`cost_summary` for a frontier known by its key (the metrics read frontiers this way)."""
    read: Totals = totals or (lambda run: store.run_totals(run.name))
    latest = store.latest_slice(frontier)
    since = latest.created_at if latest is not None else None
    lines: dict[tuple[str, str], Spend] = {}
    rounds: dict[int, RoundSpend] = {}
    since_last = 0.0

    def add(line: Spend) -> None:
        key = (line.stage, line.model)
        lines[key] = lines[key].plus(line) if key in lines else line

    for run in store.runs(frontier):
        t = read(run)
        add(
            Spend(
                stage=run.kind,
                model=run.model_name,
                input_tokens=t.input_tokens,
                output_tokens=t.output_tokens,
                cost_usd=t.cost_usd,
                attempts=t.attempted,
                scored=t.ok,
                successes=t.successes,
            )
        )
        number = run.task_set.get("round")
        if run.kind == "candidates" and isinstance(number, int):
            r = rounds.get(number, RoundSpend(number))
            rounds[number] = RoundSpend(
                number, r.teacher_usd, r.candidates_usd + t.cost_usd, r.admitted
            )
        since_last += _run_cost_since(store, run, t, since)
    for u in store.teacher_usage(frontier):
        s = u.spend
        add(
            Spend(
                stage="teacher",
                model=s.model,
                input_tokens=s.input_tokens,
                output_tokens=s.output_tokens,
                cost_usd=s.cost_usd,
                attempts=s.requests,
            )
        )
        r = rounds.get(u.round, RoundSpend(u.round))
        rounds[u.round] = RoundSpend(
            u.round, r.teacher_usd + s.cost_usd, r.candidates_usd, r.admitted
        )
        if since is None or u.recorded_at >= since:
            since_last += s.cost_usd
    for c in store.candidates(frontier, decision="admitted"):
        r = rounds.get(c.round, RoundSpend(c.round))
        rounds[c.round] = RoundSpend(c.round, r.teacher_usd, r.candidates_usd, r.admitted + 1)
    budget = budget or BudgetSpec()
    return CostSummary(
        lines=tuple(lines.values()),
        admitted=sum(r.admitted for r in rounds.values()),
        rounds=tuple(rounds[n] for n in sorted(rounds)),
        last_slice_version=latest.version if latest is not None else None,
        since_last_slice_usd=since_last,
        max_cost_usd=budget.max_cost_usd,
        max_round_cost_usd=budget.max_round_cost_usd,
    )


def _run_cost_since(
    store: Store, run: RunRecord, totals: RunTotals, since: datetime | None
) -> float:
    """The run's cost at or after `since`: all of it for a run created since, none for one
    finished before, and read from the store for a run that spans the moment."""
    if since is None or run.created_at >= since:
        return totals.cost_usd
    if run.finished_at is not None and run.finished_at < since:
        return 0.0
    return store.run_cost_since(run.name, since)
