"""Place a model on the frontier's item bank: plan the adaptive test, run it, read off θ.

`frontier place` and a VerificationRun with `placement` drive the same steps: the
plan fixes the calibration and the stopping rule, the run is an ordinary run of
kind placement (one shard, rolled out by the shared engine under `Placing`), and
the finish turns its graded rollouts into θ ± SE and the model's expected pass@1
on every slice version, including the ones it never saw.
"""

from __future__ import annotations

from statistics import fmean, pstdev

from frontier.domain import naming
from frontier.domain.irt import askable, expected_pass
from frontier.domain.placement import PlacementPlan, PlacementResult, SliceForecast
from frontier.domain.runs import RunStats, StoredRunPhase
from frontier.domain.specs import ModelRef, PlacementSpec, TaskSetRef
from frontier.pipeline.calibrate import slice_members
from frontier.pipeline.context import Context
from frontier.pipeline.placing import placing_for
from frontier.pipeline.profile import RunFailedError, register_run, run_shard
from frontier.pipeline.rollouts import ProgressHook, states_from
from frontier.store import NotFoundError, RunRecord

MODEL_PLACED = "ModelPlaced"


def plan_for(ctx: Context, spec: PlacementSpec) -> PlacementPlan:
    """The test a placement runs: the calibration it asks (the spec's, else the latest) and a
    normal prior on θ centred on the calibrated models, at least as wide as the scale's unit.

    Raises NotFoundError when there is no such calibration yet.
    """
    record = ctx.store.calibration(ctx.frontier, spec.calibration)
    if record is None:
        which = f"calibration v{spec.calibration}" if spec.calibration else "calibration yet"
        raise NotFoundError(
            f"{ctx.frontier} has no {which}: placement needs a fitted item bank (profile the "
            f"solver and spec.calibration.panel first, at least calibration.minModels models)"
        )
    thetas = [a.theta for a in record.calibration.abilities]
    return PlacementPlan(
        calibration=record.version,
        target_se=spec.target_se,
        max_items=spec.max_items,
        prior_mean=fmean(thetas) if thetas else 0.0,
        prior_sd=max(1.0, pstdev(thetas)) if len(thetas) > 1 else 1.0,
    )


def register_placement(
    ctx: Context, slice_version: int, model: ModelRef, plan: PlacementPlan, *, k: int, seed: int
) -> RunRecord:
    """The placement run of `model` on a slice version's items (idempotent): one shard."""
    found = ctx.store.get_slice(ctx.frontier, slice_version)
    if found is None:
        raise NotFoundError(f"slice version {slice_version} of {ctx.frontier} does not exist")
    record = ctx.store.calibration(ctx.frontier, plan.calibration)
    usable = {i.task_id for i in record.calibration.items if askable(i)} if record else set()
    if not usable.intersection(found.task_ids):
        raise NotFoundError(
            f"slice v{slice_version} has no task calibration v{plan.calibration} can place a "
            "model on (none is calibrated, unflagged and of positive discrimination)"
        )
    return register_run(
        ctx,
        naming.placement_run(ctx.name, slice_version, model.name, plan.calibration),
        kind="placement",
        model=model,
        task_set=TaskSetRef(kind="slice", slice_version=slice_version),
        k=k,
        seed=seed,
        plan=plan,
    )


def finish_placement(ctx: Context, run: RunRecord) -> PlacementResult:
    """θ ± SE from the run's graded rollouts, the forecast on every slice version, stored
    with the run (Succeeded) and posted as a ModelPlaced event.

    Raises RunFailedError when no rollout was graded: no answer is no placement.
    """
    key = ctx.run_key(run.name)
    placing = placing_for(ctx, run)
    states = states_from(ctx.store.rollouts_for(key))
    asked = placing.order(states)
    trials = sum(len(states[t].ok) for t in asked)
    if not trials:
        raise RunFailedError(
            f"placement run {run.name}: none of its rollouts was graded (every one ended in a "
            "harness error); nothing was placed"
        )
    theta, se = placing.estimate(states)
    record = ctx.store.calibration(ctx.frontier, placing.test.calibration)
    assert record is not None  # placing_for found it
    result = PlacementResult(
        model=run.model_name,
        calibration=placing.test.calibration,
        theta=theta,
        se=se,
        items=tuple(asked),
        successes=sum(len(states[t].solved) for t in asked),
        trials=trials,
        slices=tuple(
            SliceForecast(version, len(members), expected_pass(theta, members))
            for version, members in slice_members(ctx, record.calibration)
        ),
    )
    stats = RunStats(placement=result, totals=ctx.store.run_totals(key))
    ctx.store.set_run_phase(key, StoredRunPhase.SUCCEEDED, stats=stats.to_wire())
    ctx.store.add_event(ctx.frontier, MODEL_PLACED, result.headline(), data=result.to_wire())
    return result


def placement_of(run: RunRecord) -> PlacementResult | None:
    """The stored placement of a finished placement run."""
    return RunStats.from_wire(run.stats).placement


def placements(ctx: Context) -> list[PlacementResult]:
    """Every finished placement of the frontier, oldest first (status, the report)."""
    return [
        p
        for r in ctx.store.runs(ctx.frontier, kind="placement")
        if r.phase == StoredRunPhase.SUCCEEDED and (p := placement_of(r)) is not None
    ]


async def place(
    ctx: Context,
    model: ModelRef,
    slice_version: int,
    spec: PlacementSpec,
    *,
    k: int,
    seed: int,
    progress: ProgressHook | None = None,
) -> PlacementResult:
    """Place `model` locally: plan, run the test (resuming a stored one), finish."""
    run = register_placement(ctx, slice_version, model, plan_for(ctx, spec), k=k, seed=seed)
    await run_shard(ctx, run.name, 0, progress=progress)
    return finish_placement(ctx, ctx.store.require_run(run.name))
