"""The frontier as the solver sees it, computed in one place: the status, the round plan, the
local runner, admission, mutation, the metrics and the report all read it, so they cannot
disagree about a task's band."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from frontier.domain.bands import Band, BandSummary, partition, summarize
from frontier.domain.specs import BandSpec, FrontierSpec
from frontier.pipeline.context import Context
from frontier.store import RunRecord, Store

V = TypeVar("V")

MeansOf = Callable[[RunRecord], Mapping[str, float]]
"""A run's mean reward per task (tasks without an ok rollout absent): how the view reads a
run, so a caller that keeps finished runs' means (the metrics collector) can pass its cache."""


@dataclass(frozen=True)
class SolverView:
    """The solver's latest mean per task and its bands over the current scope.

    The means are taken over its profile and candidate runs in creation order (a later
    run's mean replaces an earlier one; its verification runs do not count; a task whose
    every rollout in a run errored keeps the mean it had), then scoped to the current
    slice, or to the base tasks before the first slice, and banded with spec.bands. A
    task whose latest run decided by the posterior (`profile.adaptive.decide: posterior`,
    the run stores its prior) takes that run's band as the store gives it
    (domain.sampling.decided_band), not its mean's.
    """

    model: str
    runs: tuple[RunRecord, ...]
    """The solver's profile and candidate runs, in creation order."""
    means: dict[str, float]
    """Every task the solver has a mean for, from the latest run that scored it."""
    scope: frozenset[str]
    """The current slice's task ids, or the base tasks' before the first slice."""
    slice_version: int | None
    """The current slice version; None before the first slice (scoped to the base tasks)."""
    band_spec: BandSpec
    scoped_means: dict[str, float]
    bands: dict[str, Band]
    """The band of each scoped task."""
    decided: dict[str, Band]
    """The band of every task the solver has a mean for, by the rule of the run that
    scored it last."""
    summary: BandSummary
    reward_mean: float | None
    """The mean of the scoped means; None when no scoped task has one."""

    def summary_over(self, task_ids: Iterable[str]) -> BandSummary:
        """The bands of the same means over other tasks (an earlier slice version)."""
        ids = set(task_ids)
        return summarize(_within(self.decided, ids).values())


def is_solver_run(run: RunRecord, spec: FrontierSpec) -> bool:
    """The solver's profiles and candidate runs (not its verification or placement runs)."""
    return run.model_name == spec.solver.name and run.kind in ("profile", "candidates")


def run_means(store: Store, run: RunRecord) -> dict[str, float]:
    """A run's mean reward per task over its ok rollouts; a task whose every rollout errored
    is absent."""
    return {
        task: tm.mean_reward
        for task, tm in store.task_means(run.name).items()
        if tm.mean_reward is not None
    }


def read_solver_view(
    store: Store,
    frontier: str,
    spec: FrontierSpec,
    *,
    means_of: MeansOf | None = None,
    runs: Sequence[RunRecord] | None = None,
) -> SolverView:
    """The solver's view of a frontier; `runs` are the frontier's runs when already read."""
    read = means_of or (lambda run: run_means(store, run))
    every = store.runs(frontier) if runs is None else runs
    own = tuple(run for run in every if is_solver_run(run, spec))
    means: dict[str, float] = {}
    decided: dict[str, Band] = {}
    for run in own:  # creation order: later runs overwrite earlier means
        found = read(run)
        means.update(found)
        if run.prior is None:
            decided.update(partition(found, spec.bands))
        else:  # a posterior-rule run: its bands as the store aggregates them
            decided.update(store.task_bands(run.name, spec.bands))
    current = store.get_slice(frontier)
    scope = frozenset(current.task_ids if current else store.task_ids(frontier, origin="base"))
    scoped = _within(means, scope)
    bands = _within(decided, scope)
    return SolverView(
        model=spec.solver.name,
        runs=own,
        means=means,
        scope=scope,
        slice_version=current.version if current else None,
        band_spec=spec.bands,
        scoped_means=scoped,
        bands=bands,
        decided=decided,
        summary=summarize(bands.values()),
        reward_mean=sum(scoped.values()) / len(scoped) if scoped else None,
    )


def solver_view(ctx: Context) -> SolverView:
    """The solver's view of the context's frontier."""
    return read_solver_view(ctx.store, ctx.frontier, ctx.spec)


def _within(values: Mapping[str, V], ids: frozenset[str] | set[str]) -> dict[str, V]:
    return {t: v for t, v in values.items() if t in ids}
