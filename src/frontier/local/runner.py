"""`frontier run`: the whole loop in one process, on the same manifest the operator takes.

Profile the base tasks with the solver, then start rounds while the policy asks
for them (the first slice, saturation, a slice below its target size) and no
stop condition holds. Everything lives in the store, so running the command
again after Ctrl-C or a crash resumes: the unfinished round is finished first.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from frontier.agents import EndpointPool
from frontier.domain import naming
from frontier.domain.bands import BandSummary
from frontier.domain.cost import BudgetExceededError
from frontier.domain.manifest import Resource, parse_resource
from frontier.domain.rounds import FINISHED_PHASES
from frontier.domain.runs import StoredRunPhase
from frontier.domain.specs import FrontierSpec, TaskSetRef
from frontier.local.manifest import ManifestError, load_documents
from frontier.pipeline.budget import record_stop
from frontier.pipeline.calibrate import calibrate
from frontier.pipeline.context import Context, read_base_tasks, record_frontier
from frontier.pipeline.cycle import BUDGET_HOLD, plan_round, record_saturation, start_round
from frontier.pipeline.profile import finish_run, register_panel, register_run, run_shard
from frontier.pipeline.rounds import ProgressFactory, RoundResult, no_progress, run_round
from frontier.pipeline.view import solver_view
from frontier.store import Store

__all__ = ["ManifestError", "load_manifest", "run_loop"]


def load_manifest(path: Path) -> Resource[FrontierSpec]:
    docs = load_documents(path)
    frontiers = [d for d in docs if isinstance(d, dict) and d.get("kind") == "Frontier"]
    if len(frontiers) != 1:
        raise ManifestError(
            f"{path}: expected exactly one Frontier document, found {len(frontiers)}"
        )
    resource = parse_resource(frontiers[0], source=str(path))
    assert isinstance(resource.spec, FrontierSpec)
    return resource


@dataclass
class LoopResult:
    frontier: str
    bands_before: BandSummary
    bands_after: BandSummary | None = None
    rounds: list[RoundResult] = field(default_factory=list)
    stopped_because: str = ""
    load_errors: int = 0
    skipped: list[str] = field(default_factory=list)
    """Each task line skipped under onError: skip, as `FILE:LINE: what is wrong`."""


@dataclass(frozen=True)
class StopAt:
    max_rounds: int | None
    deadline: float | None
    target_slice_size: int | None


def _stop_reason(ctx: Context, stop: StopAt) -> str | None:
    rounds = ctx.store.rounds(ctx.frontier)
    finished = [r for r in rounds if r.phase == "Succeeded"]
    if stop.max_rounds is not None and len(finished) >= stop.max_rounds:
        return f"stop.maxRounds ({stop.max_rounds}) reached"
    if stop.deadline is not None and time.monotonic() >= stop.deadline:
        return "stop.maxDurationSeconds reached"
    current = ctx.store.get_slice(ctx.frontier)
    if (
        stop.target_slice_size is not None
        and current is not None
        and len(current.task_ids) >= stop.target_slice_size
    ):
        return f"stop.targetSliceSize ({stop.target_slice_size}) reached"
    return None


async def run_loop(
    store: Store,
    resource: Resource[FrontierSpec],
    *,
    base_dir: Path,
    progress: ProgressFactory = no_progress,
    max_rounds: int | None = None,
) -> LoopResult:
    spec = resource.spec
    ctx = Context(
        store=store,
        namespace=resource.namespace or "default",
        name=resource.name,
        spec=spec,
        base_dir=base_dir,
    )
    # a task source that cannot be read fails the run before the store is written
    tasks, errors = read_base_tasks(ctx)
    record_frontier(ctx)
    store.add_tasks(ctx.frontier, tasks)
    pool = EndpointPool()
    base = register_run(
        ctx,
        naming.base_profile_run_of(ctx.name, spec),
        kind="profile",
        model=spec.solver,
        task_set=TaskSetRef(kind="base"),
        k=spec.profile.k,
        seed=spec.profile.seed,
    )
    result = LoopResult(
        frontier=ctx.frontier,
        bands_before=store.band_counts(base.name, spec.bands),
        load_errors=len(errors),
        skipped=[str(e) for e in errors],
    )
    try:
        await _loop(ctx, base.name, result, pool, progress, max_rounds)
    except BudgetExceededError as exc:
        result.stopped_because = f"stopped before the next wave: {exc}"
        record_stop(ctx, exc)
    finally:
        await pool.aclose()  # its HTTP sessions belong to this event loop
    result.bands_after = solver_view(ctx).summary
    return result


async def _profile_panel(
    ctx: Context, pool: EndpointPool, progress: ProgressFactory, version: int | None = None
) -> None:
    """The calibration panel answers the base tasks (version None) or the tasks a slice
    version adds; each finished run refits the item bank."""
    for panel in register_panel(ctx, slice_version=version):
        if panel.phase != StoredRunPhase.SUCCEEDED:
            label = f"panel {panel.model_name}" + (f" on v{version}" if version else "")
            await run_shard(ctx, panel.name, 0, progress=progress(label), pool=pool)
            finish_run(ctx, panel.name)
            calibrate(ctx, trigger=panel.name)


async def _loop(
    ctx: Context,
    base_run: str,
    result: LoopResult,
    pool: EndpointPool,
    progress: ProgressFactory,
    max_rounds: int | None,
) -> None:
    store, spec = ctx.store, ctx.spec
    base = store.require_run(base_run)
    if base.phase != StoredRunPhase.SUCCEEDED:
        await run_shard(ctx, base.name, 0, progress=progress("profile base tasks"))
        finish_run(ctx, base.name)
        calibrate(ctx, trigger=base.name)
        result.bands_before = store.band_counts(base.name, spec.bands)
    for version in [None, *store.slice_versions(ctx.frontier)]:  # resumed: versions out
        await _profile_panel(ctx, pool, progress, version)
    stop = StopAt(
        max_rounds=max_rounds if max_rounds is not None else spec.stop.max_rounds,
        deadline=(time.monotonic() + spec.stop.max_duration_seconds)
        if spec.stop.max_duration_seconds
        else None,
        target_slice_size=spec.stop.target_slice_size,
    )
    while True:
        unfinished = [r for r in store.rounds(ctx.frontier) if r.phase not in FINISHED_PHASES]
        if unfinished:
            resumed = await run_round(ctx, unfinished[0].number, progress=progress, pool=pool)
            result.rounds.append(resumed)
            await _profile_panel(ctx, pool, progress, resumed.retained.slice.version)
            continue
        reason = _stop_reason(ctx, stop)
        plan = plan_round(ctx)
        record_saturation(ctx, plan)
        if reason is not None:
            result.stopped_because = reason
            break
        if not plan.start:
            result.stopped_because = (
                f"next round held by {plan.held_by}"
                if plan.held_by
                else "the slice is full and not saturated"
            )
            if plan.held_by == BUDGET_HOLD:
                result.stopped_because += (
                    f": budget.maxCostUsd ({spec.budget.max_cost_usd} USD) is spent; "
                    "raise it to resume"
                )
            break
        number = start_round(ctx, plan).number
        finished = await run_round(ctx, number, progress=progress, pool=pool)
        result.rounds.append(finished)
        await _profile_panel(ctx, pool, progress, finished.retained.slice.version)
        if finished.counts.generated == 0:
            result.stopped_because = (
                f"the teacher proposed no candidates in round {number} "
                f"(benchmark {spec.benchmark.name!r} offers motifs: "
                f"{', '.join(ctx.benchmark.motifs()) or 'none'})"
            )
            break
