"""Advancing a frontier: what the operator reads and decides after each finished run."""

from __future__ import annotations

from frontier.domain import naming
from frontier.pipeline import cycle
from frontier.pipeline.context import Context, open_context
from frontier.pipeline.profile import finish_run, run_shard
from frontier.store import Store
from tests.pipeline.test_profile import register_base
from tests.support.frontiers import small_spec


def base_run(ctx: Context) -> str:
    return naming.base_profile_run_of(ctx.name, ctx.spec)


async def test_advance_before_the_base_run_succeeds_starts_no_round(ctx: Context) -> None:
    name = register_base(ctx)
    await run_shard(ctx, name)  # rolled out, not yet partitioned

    state = cycle.advance(ctx, base_run(ctx))

    assert state.base is not None and state.base.phase != "Succeeded"
    assert (state.rounds, state.saturations, state.slice_version) == ([], [], None)


async def test_advance_after_a_saturated_base_records_the_crossing_and_starts_round_1(
    store: Store,
) -> None:
    ctx = open_context(store, "shop", small_spec(saturation={"solverSaturatedFraction": 0.0}))
    name = register_base(ctx)
    await run_shard(ctx, name)
    bands = finish_run(ctx, name)

    state = cycle.advance(ctx, base_run(ctx))

    assert [(r.number, r.phase) for r in state.rounds] == [(1, "Running")]
    assert [e.reason for e in state.saturations] == ["SaturationDetected"]
    assert (state.solver, state.bands) == (ctx.spec.solver.name, bands)
    held = store.atomically(cycle.advance, ctx, base_run(ctx))
    assert [r.number for r in held.rounds] == [1]  # the round is active: no second one
    # The crossing whose round is now running is the same crossing: not posted again
    # with "next round held by activeRound" (which made two Events of one crossing).
    assert held.saturations == state.saturations
    again = store.atomically(cycle.advance, ctx, base_run(ctx))
    assert again.saturations == state.saturations
