"""The rollout engine every stage shares: who gets another attempt, run concurrently, saved in batches.

Rollouts are allocated in waves. Before each wave an allocation policy looks at
what each task already has (its successful rewards and the attempts tried) and
names the attempts to run next: all k at once for fixed-k profiling, one at a
time while the band is still open for curtailed admission. Finished rollouts
go to the store in batches as they complete, so an interrupted shard loses at
most the rollouts in flight, and a re-run skips everything already stored.

An errored attempt (a harness failure) is retried in a later wave up to
`error_retries` times; after that it stays an error and is left out of every
metric, never counted as reward 0.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from frontier.agents import Agent
from frontier.domain.interfaces import Benchmark
from frontier.domain.prediction import curtailed_band, pooled_spread
from frontier.domain.sampling import Prior, fit_prior, plan_wave, predicted_band, settled_band
from frontier.domain.specs import AdaptiveSpec, BandSpec
from frontier.domain.tasks import Rollout, Task


@dataclass
class TaskState:
    """What one task has in a run so far."""

    ok: dict[int, float] = field(default_factory=dict)
    errors: dict[int, int] = field(default_factory=dict)
    solved: set[int] = field(default_factory=set)
    """The ok attempts the verifier judged a success (binary, as the item bank counts them)."""

    @property
    def rewards(self) -> list[float]:
        return [self.ok[a] for a in sorted(self.ok)]

    @property
    def attempted(self) -> set[int]:
        return set(self.ok) | set(self.errors)


class Allocation(Protocol):
    def plan(self, states: dict[str, TaskState], error_retries: int) -> dict[str, list[int]]:
        """Attempt numbers to run next, per task id; empty when the run is done."""
        ...


def missing_attempts(state: TaskState, upto: int, error_retries: int) -> list[int]:
    return [a for a in range(upto) if a not in state.ok and state.errors.get(a, 0) <= error_retries]


def _retries(state: TaskState, error_retries: int) -> list[int]:
    return [a for a, n in state.errors.items() if a not in state.ok and n <= error_retries]


class PerTask:
    """An allocation that decides each task on its own."""

    def next_attempts(self, state: TaskState, error_retries: int) -> list[int]:
        raise NotImplementedError

    def plan(self, states: dict[str, TaskState], error_retries: int) -> dict[str, list[int]]:
        wave = {t: self.next_attempts(s, error_retries) for t, s in states.items()}
        return {t: a for t, a in wave.items() if a}


@dataclass(frozen=True)
class FixedK(PerTask):
    """Exactly k successful attempts per task (attempts 0..k-1)."""

    k: int

    def next_attempts(self, state: TaskState, error_retries: int) -> list[int]:
        return missing_attempts(state, self.k, error_retries)


@dataclass(frozen=True)
class Curtailed(PerTask):
    """Fixed-k decisions with fewer rollouts: stop once the band at k is settled.

    With `confidence` None only certainty stops a task (the decisions equal
    fixed k); with a confidence, a band predicted at least that likely also does.
    """

    k: int
    bands: BandSpec
    confidence: float | None = None

    def next_attempts(self, state: TaskState, error_retries: int) -> list[int]:
        if state.ok:
            done = (
                settled_band(state.rewards, self.k, self.bands)
                if self.confidence is None
                else predicted_band(state.rewards, self.k, self.bands, confidence=self.confidence)
            )
            if done is not None:
                return []
        return missing_attempts(state, self.k, error_retries)[:1]


@dataclass(frozen=True)
class CurtailedCandidates:
    """Candidates stopped once the band at k is certain or predicted with `confidence`.

    The prediction is `domain.prediction.curtailed_band`: a normal model of the rewards
    whose noise is each task's own spread shrunk toward the spread pooled over the run's
    tasks so far (re-pooled every wave), so a task is not decided on its own: this is
    not a PerTask allocation.
    """

    k: int
    bands: BandSpec
    confidence: float

    def plan(self, states: dict[str, TaskState], error_retries: int) -> dict[str, list[int]]:
        spread = pooled_spread(s.rewards for s in states.values())
        wave: dict[str, list[int]] = {}
        for task_id, state in states.items():
            if state.ok and (
                curtailed_band(
                    state.rewards, self.k, self.bands, confidence=self.confidence, spread=spread
                )
                is not None
            ):
                continue
            attempts = missing_attempts(state, self.k, error_retries)[:1]
            if attempts:
                wave[task_id] = attempts
        return wave


@dataclass
class Budgeted:
    """A mean of k rollouts per task, spent in waves where a task's band is least certain.

    The prior over mean rewards is refitted to the run's own rollouts after
    waves 1, 2, 4, 8 and 12 (domain.sampling explains why that is sound).
    """

    k: int
    spec: AdaptiveSpec
    bands: BandSpec
    prior: Prior | None = None
    waves: int = 0

    def plan(self, states: dict[str, TaskState], error_retries: int) -> dict[str, list[int]]:
        retries = {t: r for t, s in states.items() if (r := _retries(s, error_retries))}
        if retries:
            return retries
        rewards = {t: s.rewards for t, s in states.items()}
        if self.waves in (1, 2, 4, 8, 12):
            self.prior = fit_prior(
                [r for r in rewards.values() if r], start=self.prior, iterations=30
            )
        self.waves += 1
        spent = sum(len(r) for r in rewards.values())
        budget = max(0, self.k * len(states) - spent)
        wave = plan_wave(rewards, self.spec, self.bands, budget=budget, prior=self.prior)
        planned: dict[str, list[int]] = {}
        for task_id, n in wave.items():
            used = states[task_id].attempted
            start = max(used) + 1 if used else 0
            planned[task_id] = list(range(start, start + n))
        return planned


@dataclass
class WaveReport:
    rollouts: int = 0
    errors: int = 0
    waves: int = 0
    seconds: float = 0.0
    last_error: str | None = None
    """The cause of the last rollout that ended in a harness error, if any did."""


ProgressHook = Callable[[int, int], None]
"""Called with (rollouts finished in this invocation, rollouts planned so far): when a wave
is planned, before any of its rollouts runs, and after each rollout finishes."""


async def roll_out(
    agent: Agent,
    benchmark: Benchmark,
    tasks: Sequence[Task],
    states: dict[str, TaskState],
    allocation: Allocation,
    *,
    seed: int,
    concurrency: int,
    sink: Callable[[list[Rollout]], object],
    batch_size: int = 64,
    error_retries: int = 2,
    progress: ProgressHook | None = None,
    before_wave: Callable[[int], None] | None = None,
) -> WaveReport:
    """Run waves until the allocation wants nothing more; `states` is updated in place.

    `before_wave` hears the size of each wave before it starts and may stop the run by
    raising (the budget does: what is done so far is stored, and a re-run resumes).
    """
    report = WaveReport()
    started = time.monotonic()
    semaphore = asyncio.Semaphore(max(1, concurrency))
    buffer: list[Rollout] = []
    planned = 0

    def flush() -> None:
        if buffer:
            sink(list(buffer))
            buffer.clear()

    async def one(task: Task, attempt: int) -> Rollout:
        async with semaphore:
            return await agent.rollout(benchmark, task, attempt, seed)

    try:
        while True:
            for task in tasks:
                states.setdefault(task.id, TaskState())
            by_id = {task.id: task for task in tasks}
            plan = allocation.plan({t: states[t] for t in by_id}, error_retries)
            wave = [(by_id[t], a) for t in sorted(plan) for a in plan[t]]
            if not wave:
                break
            if before_wave is not None:
                before_wave(len(wave))
            report.waves += 1
            planned += len(wave)
            if progress is not None:
                progress(report.rollouts, planned)
            pending = {asyncio.ensure_future(one(t, a)) for t, a in wave}
            try:
                for finished in asyncio.as_completed(pending):
                    rollout = await finished
                    state = states[rollout.task_id]
                    if rollout.ok and rollout.reward is not None:
                        state.ok[rollout.attempt] = rollout.reward
                        if rollout.success:
                            state.solved.add(rollout.attempt)
                    else:
                        state.errors[rollout.attempt] = state.errors.get(rollout.attempt, 0) + 1
                        report.errors += 1
                        report.last_error = rollout.error or report.last_error
                    report.rollouts += 1
                    buffer.append(rollout)
                    if len(buffer) >= batch_size:
                        flush()
                    if progress is not None:
                        progress(report.rollouts, planned)
            finally:
                for future in pending:
                    future.cancel()
    finally:
        flush()
        report.seconds = time.monotonic() - started
    return report


def states_from(rollouts: Sequence[Rollout]) -> dict[str, TaskState]:
    """Rebuild task states from stored rollouts, so a re-run resumes where it stopped."""
    states: dict[str, TaskState] = {}
    for r in rollouts:
        state = states.setdefault(r.task_id, TaskState())
        if r.ok and r.reward is not None:
            state.ok[r.attempt] = r.reward
            state.errors.pop(r.attempt, None)
            if r.success:
                state.solved.add(r.attempt)
        else:
            state.errors[r.attempt] = state.errors.get(r.attempt, 0) + 1
    return states


def retry_errored(states: dict[str, TaskState]) -> None:
    """Give every attempt that still ends in an error its retries again (in place).

    Called when a run is resumed: the endpoint that failed it may be back, and an
    attempt that used up its retries last time would otherwise never run again.
    """
    for state in states.values():
        state.errors = {a: 0 for a in state.errors if a not in state.ok}


def errored_attempts(states: dict[str, TaskState]) -> tuple[int, int]:
    """(attempts that still end in a harness error, attempts made) over these tasks."""
    errored = sum(1 for s in states.values() for a in s.errors if a not in s.ok)
    return errored, errored + sum(len(s.ok) for s in states.values())
