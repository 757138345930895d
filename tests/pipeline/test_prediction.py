"""Band prediction on the small example: candidates skipped before any rollout, deterministically."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from frontier.domain.admission import Reason
from frontier.pipeline.admit import decide_round, register_candidates_run
from frontier.pipeline.context import Context, open_context
from frontier.pipeline.cycle import plan_round, start_round
from frontier.pipeline.mutate import mutate_shard
from frontier.pipeline.profile import finish_run, run_shard
from frontier.store import Store
from tests.pipeline.test_profile import register_base
from tests.support.frontiers import small_spec

# random parents: the boundary policy rarely picks the saturated parents prediction skips
SPEC = small_spec(mutation={"parentsPerRound": 12, "parentSelection": "random"})


def fresh(folder: Path) -> Context:
    folder.mkdir()
    store = Store.connect(f"sqlite:///{folder / 'frontier.db'}", auto_upgrade=True)
    return open_context(store, "shop", SPEC)


async def first_round(ctx: Context) -> tuple[list[Any], set[str]]:
    name = register_base(ctx)
    await run_shard(ctx, name)
    finish_run(ctx, name)
    start_round(ctx, plan_round(ctx))
    await mutate_shard(ctx, 1)
    run = register_candidates_run(ctx, 1)
    await run_shard(ctx, run.name)
    finish_run(ctx, run.name)
    decide_round(ctx, 1)
    decided = sorted(
        (c.task_id, c.parent_id, c.decision, c.reason, c.rollouts_spent)
        for c in ctx.store.candidates(ctx.frontier, round=1)
    )
    played = {r.task_id for r in ctx.store.rollouts_for(run.name)}
    ctx.store.close()
    return decided, played


async def test_a_candidate_predicted_saturated_is_rejected_with_its_reason_and_no_rollouts(
    tmp_path: Path,
) -> None:
    decided, played = await first_round(fresh(tmp_path / "a"))
    skipped = [d for d in decided if d[3] is Reason.PREDICTED_SATURATED]
    assert skipped
    assert all(spent == 0 for *_, spent in skipped)
    assert not played & {d[0] for d in skipped}


async def test_prediction_decides_the_same_candidates_on_a_rerun(tmp_path: Path) -> None:
    assert await first_round(fresh(tmp_path / "a")) == await first_round(fresh(tmp_path / "b"))


async def test_without_prediction_no_candidate_is_predicted_saturated(store: Store) -> None:
    spec = SPEC.model_copy(
        update={"admission": SPEC.admission.model_copy(update={"predict_band": False})}
    )
    decided, _ = await first_round(open_context(store, "shop", spec))
    assert all(d[3] is not Reason.PREDICTED_SATURATED for d in decided)
