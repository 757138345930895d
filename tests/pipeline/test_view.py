"""The frontier as the solver sees it: the one read model status, metrics and the report use."""

from __future__ import annotations

from frontier.domain.bands import Band, BandSummary
from frontier.domain.specs import ModelRef, TaskSetRef
from frontier.domain.tasks import Rollout, Task
from frontier.pipeline.context import Context
from frontier.pipeline.view import read_solver_view, solver_view
from frontier.store import RunKind, RunRecord
from tests.store.builders import child, error, ok, task

# small_spec's bands: unreachable at most 0.02, saturated above 0.70
SATURATED, HILLCLIMBABLE, UNREACHABLE = 1.0, 0.5, 0.0


def stored(ctx: Context, *tasks: Task) -> list[str]:
    ctx.store.add_tasks(ctx.frontier, tasks)
    return [t.id for t in tasks]


def rolled_out(
    ctx: Context,
    name: str,
    rewards: dict[str, list[float | None]],
    *,
    kind: RunKind = "profile",
    model: ModelRef | None = None,
) -> RunRecord:
    """A run of `model` (the solver by default) whose rollouts have these rewards per task;
    None is an attempt that ended in a harness error."""
    task_set = {
        "profile": TaskSetRef(kind="base"),
        "candidates": TaskSetRef(kind="candidates", round=1),
        "verification": TaskSetRef(kind="slice", slice_version=1),
    }[kind]
    run = ctx.store.create_run(
        ctx.run_key(name),
        frontier=ctx.frontier,
        kind=kind,
        model=model or ctx.spec.solver,
        task_set=task_set,
        k=2,
    )
    rollouts: list[Rollout] = []
    for task_id, values in rewards.items():
        for attempt, reward in enumerate(values):
            rollouts.append(
                error(task_id, attempt) if reward is None else ok(task_id, attempt, reward)
            )
    ctx.store.ingest_rollouts(run.name, rollouts)
    return run


def test_a_later_runs_mean_replaces_an_earlier_one(ctx: Context) -> None:
    a, b = stored(ctx, task(), task())
    rolled_out(ctx, "profile", {a: [SATURATED, SATURATED], b: [SATURATED, SATURATED]})
    rolled_out(ctx, "candidates", {a: [HILLCLIMBABLE, HILLCLIMBABLE]}, kind="candidates")

    view = solver_view(ctx)

    assert view.means == {a: HILLCLIMBABLE, b: SATURATED}
    assert view.bands == {a: Band.HILLCLIMBABLE, b: Band.SATURATED}
    assert [r.kind for r in view.runs] == ["profile", "candidates"]


def test_the_solvers_verification_runs_and_other_models_runs_are_not_part_of_its_view(
    ctx: Context,
) -> None:
    (a,) = stored(ctx, task())
    rolled_out(ctx, "profile", {a: [SATURATED, SATURATED]})
    rolled_out(ctx, "solver-verifies", {a: [UNREACHABLE, UNREACHABLE]}, kind="verification")
    verifier = ctx.spec.verifiers[0]
    rolled_out(ctx, "verifier-profile", {a: [UNREACHABLE, UNREACHABLE]}, model=verifier)

    view = solver_view(ctx)

    assert view.means == {a: SATURATED}
    assert [r.name for r in view.runs] == [ctx.run_key("profile")]


def test_before_the_first_slice_the_view_is_scoped_to_the_base_tasks(ctx: Context) -> None:
    parent, other = task(), task()
    a, b, c = stored(ctx, parent, other, child(parent))
    rolled_out(ctx, "profile", {a: [SATURATED, SATURATED], b: [UNREACHABLE, UNREACHABLE]})
    rolled_out(ctx, "candidates", {c: [HILLCLIMBABLE, HILLCLIMBABLE]}, kind="candidates")

    view = solver_view(ctx)

    assert (view.scope, view.slice_version) == (frozenset({a, b}), None)
    assert set(view.means) == {a, b, c}  # the candidate's mean is the solver's all the same
    assert view.scoped_means == {a: SATURATED, b: UNREACHABLE}
    assert view.summary == BandSummary(saturated=1, unreachable=1)
    assert view.reward_mean == (SATURATED + UNREACHABLE) / 2


def test_the_solver_view_is_scoped_to_the_current_slice(ctx: Context) -> None:
    parent = task()
    a, b, c, d = stored(ctx, parent, task(), child(parent), child(parent, motif="other"))
    rolled_out(ctx, "profile", {a: [SATURATED, SATURATED], b: [HILLCLIMBABLE, HILLCLIMBABLE]})
    rolled_out(
        ctx,
        "candidates",
        {c: [HILLCLIMBABLE, HILLCLIMBABLE], d: [HILLCLIMBABLE, SATURATED]},
        kind="candidates",
    )
    ctx.store.publish_slice(ctx.frontier, 1, [b, c])
    ctx.store.publish_slice(ctx.frontier, 2, [c, d], parent_version=1)

    view = solver_view(ctx)

    assert (view.scope, view.slice_version) == (frozenset({c, d}), 2)
    assert view.scoped_means == {c: HILLCLIMBABLE, d: 0.75}
    assert view.summary == BandSummary(saturated=1, hillclimbable=1)
    assert view.reward_mean == (HILLCLIMBABLE + 0.75) / 2
    # an earlier version is banded from the same means (the report's band history)
    assert view.summary_over([b, c]) == BandSummary(hillclimbable=2)


def test_errored_rollouts_are_in_no_mean_and_a_task_that_only_errored_keeps_its_earlier_one(
    ctx: Context,
) -> None:
    a, b, never = stored(ctx, task(), task(), task())
    rolled_out(
        ctx,
        "profile",
        {a: [SATURATED, None], b: [HILLCLIMBABLE, HILLCLIMBABLE], never: [None, None]},
    )
    rolled_out(ctx, "again", {b: [None, None]})

    view = solver_view(ctx)

    assert view.means == {a: SATURATED, b: HILLCLIMBABLE}
    assert never not in view.bands  # in no band, not unreachable
    assert view.summary.total == 2


def test_a_frontier_without_rollouts_has_an_empty_view_and_no_reward_mean(ctx: Context) -> None:
    stored(ctx, task(), task())

    view = solver_view(ctx)

    assert (view.means, view.summary, view.reward_mean) == ({}, BandSummary(), None)
    assert len(view.scope) == 2


def test_a_caller_can_read_each_runs_means_its_own_way(ctx: Context) -> None:
    (a,) = stored(ctx, task())
    rolled_out(ctx, "profile", {a: [SATURATED, SATURATED]})
    rolled_out(ctx, "verifier-profile", {a: [SATURATED]}, model=ctx.spec.verifiers[0])
    runs = ctx.store.runs(ctx.frontier)
    asked: list[str] = []

    def cached(run: RunRecord) -> dict[str, float]:
        asked.append(run.name)
        return {a: HILLCLIMBABLE}

    view = read_solver_view(ctx.store, ctx.frontier, ctx.spec, means_of=cached, runs=runs)

    assert asked == [ctx.run_key("profile")]  # only the solver's runs are read
    assert view.means == {a: HILLCLIMBABLE}


def test_a_posterior_rule_runs_tasks_take_the_band_the_store_gives_them(ctx: Context) -> None:
    a, b = stored(ctx, task(), task())
    run = rolled_out(ctx, "profile", {a: [0.0, 0.0, 0.0], b: [SATURATED, SATURATED]})
    assert solver_view(ctx).bands[a] is Band.UNREACHABLE
    ctx.store.set_run_prior(run.name, [1.0] * 101)  # pass rates spread evenly
    view = solver_view(ctx)
    # 0 of 3 under a flat prior is most likely hillclimbable; its mean is still 0.
    assert view.bands == ctx.store.task_bands(run.name, ctx.spec.bands)
    assert view.bands[a] is Band.HILLCLIMBABLE and view.means[a] == 0.0
    assert view.summary == ctx.store.band_counts(run.name, ctx.spec.bands)
    assert view.summary_over([a]).hillclimbable == 1
    # A later run that decides by the mean overrides the task's band, as it does its mean.
    rolled_out(ctx, "candidates", {a: [0.0, 0.0]}, kind="candidates")
    assert solver_view(ctx).bands[a] is Band.UNREACHABLE
