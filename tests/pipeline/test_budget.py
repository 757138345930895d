"""The budget: no round, wave or teacher call starts that would cross it; raising it resumes."""

from __future__ import annotations

from pathlib import Path

import pytest

from frontier.domain.cost import BudgetExceededError
from frontier.local.runner import load_manifest, run_loop
from frontier.pipeline.budget import check_wave, hold, record_stop
from frontier.pipeline.context import Context, open_context
from frontier.pipeline.cycle import plan_round
from frontier.pipeline.profile import run_shard
from frontier.store import Store
from tests.local.test_runner import write_manifest
from tests.pipeline.test_cost import rolled
from tests.pipeline.test_profile import register_base
from tests.support.frontiers import small_document, small_spec


def with_budget(store: Store, name: str = "shop", **budget: float) -> Context:
    return open_context(store, name, small_spec(budget=budget))


def test_no_round_starts_once_the_spend_reached_the_budget_and_raising_it_releases_it(
    store: Store,
) -> None:
    ctx = with_budget(store, maxCostUsd=0.04)
    rolled(ctx, "earlier", "profile", ctx.spec.solver.name, [1.0, 0.0, 1.0, 0.0], 0.01)
    held = plan_round(ctx)
    assert (held.start, held.held_by, held.trigger) == (False, "budget", "InitialSlice")
    raised = plan_round(with_budget(store, maxCostUsd=0.05))
    assert (raised.start, raised.number) == (True, 1)


async def test_a_wave_that_would_cross_the_budget_does_not_start_and_resumes_when_raised(
    store: Store,
) -> None:
    ctx = with_budget(store, maxCostUsd=0.5)
    # the solver cost 0.1 a rollout so far: a wave of the base profile would cost far more
    rolled(ctx, "earlier", "profile", ctx.spec.solver.name, [1.0, 0.0], 0.1)
    name = register_base(ctx)
    with pytest.raises(BudgetExceededError, match=r"budget.maxCostUsd \(0.5000 USD\)"):
        await run_shard(ctx, name)
    assert store.count_rollouts(ctx.run_key(name)) == 0
    raised = with_budget(store, maxCostUsd=100.0)
    result = await run_shard(raised, name)
    assert result.report.rollouts == store.count_rollouts(ctx.run_key(name)) > 0


def test_a_rounds_cap_stops_its_candidate_waves(store: Store) -> None:
    ctx = with_budget(store, maxRoundCostUsd=0.05)
    rolled(ctx, "earlier", "candidates", ctx.spec.solver.name, [1.0], 0.04)
    run = store.require_run(ctx.run_key("earlier"))
    check_wave(ctx, run, 0)  # the base spend alone is within every limit
    ctx.store.create_run(
        ctx.run_key("round-1"),
        frontier=ctx.frontier,
        kind="candidates",
        model=ctx.spec.solver,
        task_set={"kind": "candidates", "round": 1},
        k=1,
    )
    round_run = store.require_run(ctx.run_key("round-1"))
    check_wave(ctx, round_run, 1)  # 0.04 of this model per rollout, nothing spent in round 1
    with pytest.raises(BudgetExceededError, match="maxRoundCostUsd of round 1"):
        check_wave(ctx, round_run, 2)


async def test_the_local_loop_stops_cleanly_says_so_and_resumes_when_the_budget_is_raised(
    tmp_path: Path, store: Store
) -> None:
    doc = small_document(budget={"maxCostUsd": 0.5}, stop={"maxRounds": 1})
    name = doc["metadata"]["name"]
    ctx = open_context(store, name, small_spec(budget={"maxCostUsd": 0.5}))
    rolled(ctx, "earlier", "profile", ctx.spec.solver.name, [1.0, 0.0], 0.1)
    stopped = await run_loop(store, load_manifest(write_manifest(tmp_path, doc)), base_dir=tmp_path)
    assert "budget.maxCostUsd (0.5000 USD) would be crossed" in stopped.stopped_because
    assert stopped.rounds == []
    (event,) = store.events(ctx.frontier, reason="BudgetReached")
    assert event.type == "Warning"
    doc["spec"]["budget"]["maxCostUsd"] = 1000.0
    resumed = await run_loop(store, load_manifest(write_manifest(tmp_path, doc)), base_dir=tmp_path)
    assert resumed.stopped_because == "stop.maxRounds (1) reached"
    assert [r.number for r in resumed.rounds] == [1]


def test_a_stop_holds_the_frontier_until_its_limits_change_and_is_recorded_once(
    store: Store,
) -> None:
    ctx = with_budget(store, maxCostUsd=0.5)
    rolled(ctx, "earlier", "profile", ctx.spec.solver.name, [1.0, 0.0], 0.1)
    assert hold(ctx) is None  # 0.2 of 0.5 spent, and nothing has stopped yet
    stop = BudgetExceededError("budget.maxCostUsd (0.5000 USD) would be crossed")
    record_stop(ctx, stop)
    record_stop(ctx, stop)  # a second shard meeting the same limits
    (event,) = store.events(ctx.frontier, reason="BudgetReached")
    assert event.data == {"budget": {"maxCostUsd": 0.5, "maxRoundCostUsd": None}}
    assert hold(ctx) == str(stop)
    raised = with_budget(store, maxCostUsd=5.0)
    assert hold(raised) is None  # released: the stopped work may start again
    record_stop(raised, BudgetExceededError("budget.maxCostUsd (5.0000 USD) would be crossed"))
    assert len(store.events(ctx.frontier, reason="BudgetReached")) == 2


def test_a_spent_budget_holds_whatever_the_last_stop_was(store: Store) -> None:
    ctx = with_budget(store, maxCostUsd=0.2)
    rolled(ctx, "earlier", "profile", ctx.spec.solver.name, [1.0, 0.0], 0.1)
    assert hold(ctx) == ("budget.maxCostUsd (0.2000 USD) is spent: 0.2000 USD; raise it to resume")
    assert hold(with_budget(store, maxCostUsd=0.3)) is None
