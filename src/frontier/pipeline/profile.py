"""Profile: k rollouts of one model over one task set, one shard at a time; then partition.

A run is registered once in the store (its model, task set, k, seed) so every
shard, on this machine or in an Indexed Job, reads the same plan. Shards split
the task set by position in id order, so any shard can run anywhere, twice,
and its rollouts land on the same keys.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from frontier.agents import EndpointPool, HarnessError, LimitChange, OpenAIAgent, build_agent
from frontier.agents.base import endpoint_url
from frontier.domain import naming
from frontier.domain.admission import NOT_ROLLED_OUT
from frontier.domain.bands import BandSummary
from frontier.domain.placement import PlacementPlan
from frontier.domain.redaction import redact_url
from frontier.domain.runs import RunStats, RunTotals, StoredRunPhase
from frontier.domain.sampling import fit_prior_sums
from frontier.domain.specs import ModelRef, TaskSetRef
from frontier.domain.tasks import Task
from frontier.pipeline.budget import check_wave
from frontier.pipeline.context import Context, load_base_tasks
from frontier.pipeline.placing import placing_for
from frontier.pipeline.rollouts import (
    Allocation,
    Budgeted,
    Curtailed,
    CurtailedCandidates,
    FixedK,
    ProgressHook,
    WaveReport,
    errored_attempts,
    retry_errored,
    roll_out,
    states_from,
)
from frontier.store import ConcurrencyChange, NotFoundError, RunKind, RunRecord, StoreError

STAGE = "rollouts"


def register_run(
    ctx: Context,
    name: str,
    *,
    kind: RunKind,
    model: ModelRef,
    task_set: TaskSetRef,
    k: int,
    shards: int = 1,
    seed: int = 0,
    plan: PlacementPlan | None = None,
) -> RunRecord:
    """Create the run in the store, or return it unchanged if it already exists."""
    return ctx.store.create_run(
        ctx.run_key(name),
        frontier=ctx.frontier,
        kind=kind,
        model=model,
        task_set=task_set,
        k=k,
        shards=shards,
        seed=seed,
        plan=plan.to_wire() if plan is not None else None,
    )


def register_panel(
    ctx: Context, shards: int = 1, *, slice_version: int | None = None
) -> list[RunRecord]:
    """The calibration panel's profile runs (spec.calibration.panel) over the base tasks, or
    over the tasks slice `slice_version` adds, so every task of the bank gets the panel's
    answers; named like the operator's ProfileRuns, registered once, returned as they are."""
    return [
        register_run(
            ctx,
            naming.panel_profile_run_of(ctx.name, ctx.spec, model)
            if slice_version is None
            else naming.panel_slice_run_of(ctx.name, ctx.spec, model, slice_version),
            kind="profile",
            model=model,
            task_set=TaskSetRef(kind="base")
            if slice_version is None
            else TaskSetRef(kind="slice", slice_version=slice_version, new_only=True),
            k=ctx.spec.profile.k,
            shards=shards,
            seed=naming.panel_seed(ctx.spec, model),
        )
        for model in ctx.spec.calibration.panel
    ]


def get_run(ctx: Context, name: str) -> RunRecord:
    return ctx.store.require_run(ctx.run_key(name))


def tasks_of(ctx: Context, task_set: TaskSetRef) -> list[Task]:
    """The tasks a task set names, in id order."""
    if task_set.kind == "base":
        tasks = ctx.store.get_tasks(ctx.frontier, origin="base")
    elif task_set.kind == "slice":
        assert task_set.slice_version is not None
        found = ctx.store.get_slice(ctx.frontier, task_set.slice_version)
        if found is None:
            raise NotFoundError(
                f"slice version {task_set.slice_version} of {ctx.frontier} does not exist"
            )
        ids = list(found.task_ids)
        if task_set.new_only:
            before = ctx.store.get_slice(ctx.frontier, task_set.slice_version - 1)
            known = set(before.task_ids if before else ()) | set(
                ctx.store.task_ids(ctx.frontier, origin="base")
            )
            ids = [t for t in ids if t not in known]
        tasks = ctx.store.get_tasks(ctx.frontier, ids=ids)
    else:
        assert task_set.round is not None
        screened = [
            c.task_id
            for c in ctx.store.candidates(ctx.frontier, round=task_set.round)
            if c.reason is None or c.reason not in NOT_ROLLED_OUT
        ]
        tasks = ctx.store.get_tasks(ctx.frontier, ids=screened)
    return sorted(tasks, key=lambda t: t.id)


def count_tasks_of(ctx: Context, task_set: TaskSetRef) -> int:
    """How many tasks `tasks_of` names, without reading the tasks themselves."""
    if task_set.kind == "base":
        return ctx.store.count_tasks(ctx.frontier, origin="base")
    return len(tasks_of(ctx, task_set))


def run_progress(
    ctx: Context, run: RunRecord, totals: RunTotals | None = None
) -> tuple[int, int, int]:
    """(rollouts done, rollouts planned, errors) of a run, from the store (its `totals`
    when the caller has just read them)."""
    if totals is None:
        totals = ctx.store.run_totals(ctx.run_key(run.name))
    try:
        tasks = count_tasks_of(ctx, TaskSetRef.model_validate(run.task_set))
    except StoreError:
        tasks = 0
    if run.plan is not None:  # a placement asks at most maxItems of them
        tasks = min(tasks, PlacementPlan.from_wire(run.plan).max_items)
    return totals.rollouts, tasks * run.k, totals.errors


def shard_of(tasks: Sequence[Task], shard: int, shards: int) -> list[Task]:
    if not 0 <= shard < shards:
        raise ValueError(f"shard {shard} is outside 0..{shards - 1}")
    return [t for i, t in enumerate(tasks) if i % shards == shard]


def allocation_for(ctx: Context, run: RunRecord) -> Allocation:
    """Fixed k, exact curtailment for candidates, the adaptive test of a placement, or the
    adaptive policy the spec enables."""
    if run.kind == "placement":
        return placing_for(ctx, run)
    if run.kind == "candidates":
        admission = ctx.spec.admission
        if not admission.early_stop:
            return FixedK(run.k)
        if admission.stop_confidence is None:
            return Curtailed(run.k, ctx.spec.bands)
        return CurtailedCandidates(run.k, ctx.spec.bands, admission.stop_confidence)
    adaptive = (
        ctx.spec.profile.adaptive if run.kind == "profile" else ctx.spec.verification.adaptive
    )
    if not adaptive.enabled:
        return FixedK(run.k)
    if adaptive.mode == "curtail":
        return Curtailed(run.k, ctx.spec.bands, confidence=adaptive.stop_confidence)
    return Budgeted(run.k, adaptive, ctx.spec.bands)


def stored_changes(changes: Sequence[LimitChange]) -> list[ConcurrencyChange]:
    """An endpoint limiter's changes as the store keeps them, each at the time it happened."""
    return [ConcurrencyChange(c.at, c.limit, c.reason) for c in changes]


@dataclass(frozen=True)
class ShardResult:
    run: str
    shard: int
    tasks: int
    report: WaveReport


async def run_shard(
    ctx: Context,
    run_name: str,
    shard: int = 0,
    *,
    progress: ProgressHook | None = None,
    pool: EndpointPool | None = None,
) -> ShardResult:
    """Roll out one shard of a run; finished rollouts already in the store are not repeated."""
    key = ctx.run_key(run_name)
    run = ctx.store.require_run(key)
    model = ModelRef.model_validate(run.model_spec)
    task_set = TaskSetRef.model_validate(run.task_set)
    if task_set.kind == "base":
        load_base_tasks(ctx)
    benchmark = ctx.prepared_benchmark()
    tasks = shard_of(tasks_of(ctx, task_set), shard, run.shards)
    stored = ctx.store.rollouts_for(key, [t.id for t in tasks])
    states = states_from(stored)
    retry_errored(states)
    own_pool = pool is None
    pool = pool if pool is not None else EndpointPool()
    agent = build_agent(model, pool=pool)
    # only this shard's changes: a shared pool's limiter may have served other runs before
    limits = agent.endpoint.limiter.watch() if isinstance(agent, OpenAIAgent) else None
    ctx.store.shard_started(ctx.frontier, STAGE, key, shard)
    try:
        report = await roll_out(
            agent,
            benchmark,
            tasks,
            states,
            allocation_for(ctx, run),
            seed=run.seed,
            concurrency=model.concurrency,
            sink=lambda batch: ctx.store.ingest_rollouts(key, batch),
            progress=progress,
            before_wave=lambda n: check_wave(ctx, run, n),
        )
    except BaseException as exc:
        ctx.store.shard_failed(
            ctx.frontier, STAGE, key, shard, error=f"{type(exc).__name__}: {exc}"
        )
        raise
    finally:
        if limits is not None:
            ctx.store.record_concurrency(key, stored_changes(limits.changes()), shard=shard)
        if own_pool:
            await pool.aclose()
    errored, attempts = errored_attempts(states)
    limit = ctx.spec.failure.max_errored_share
    if errored and errored > limit * attempts:
        last = report.last_error or next((r.error for r in reversed(stored) if r.error), None)
        message = (
            f"run {run.name}: {errored} of {attempts} rollouts ended in a harness error "
            f"against {_endpoint(model)} (more than spec.failure.maxErroredShare, {limit:.0%}); "
            f"last cause: {last or 'unknown'}. Nothing was published; run again to resume"
        )
        ctx.store.shard_failed(ctx.frontier, STAGE, key, shard, error=message)
        raise RunFailedError(message)
    ctx.store.shard_done(
        ctx.frontier,
        STAGE,
        key,
        shard,
        detail={"tasks": len(tasks), "rollouts": report.rollouts, "errors": report.errors},
    )
    return ShardResult(run_name, shard, len(tasks), report)


class RunFailedError(HarnessError):
    """A run whose rollouts failed beyond `spec.failure.maxErroredShare`: never an empty success."""


def _endpoint(model: ModelRef) -> str:
    """The model and where it is served, without credentials, for a failure message."""
    if model.provider == "heuristic":
        return f"model {model.name} (heuristic)"
    try:
        return f"model {model.name} at {redact_url(endpoint_url(model))}"
    except ValueError:
        return f"model {model.name}"


def finish_run(ctx: Context, run_name: str) -> BandSummary:
    """Partition the run's tasks into bands (in SQL) and mark the run finished.

    After a profile, the driver refits the item bank next (pipeline.calibrate.calibrate),
    outside this call's transaction: the fit is CPU work a transaction must not wait on.
    """
    return finish_run_with_totals(ctx, run_name)[0]


def finish_run_with_totals(ctx: Context, run_name: str) -> tuple[BandSummary, RunTotals]:
    """`finish_run`, and the run's totals it recorded (for `run_progress`, not read twice)."""
    key = ctx.run_key(run_name)
    run = ctx.store.require_run(key)
    if run.kind == "profile" and ctx.spec.profile.adaptive.posterior_rule:
        # decide: posterior: the prior is refitted to the whole run (every shard's rollouts)
        # and stored with it; the store bands the run's tasks by it from now on.
        prior = fit_prior_sums(list(ctx.store.task_sums(key).values()))
        ctx.store.set_run_prior(key, prior.to_wire())
    summary = ctx.store.band_counts(key, ctx.spec.bands)
    totals = ctx.store.run_totals(key)
    stats = RunStats(bands=summary, totals=totals)
    ctx.store.set_run_phase(key, StoredRunPhase.SUCCEEDED, stats=stats.to_wire())
    return summary, totals
