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
from frontier.domain.sampling import settled_band
from frontier.domain.specs import BandSpec
from frontier.domain.tasks import Rollout, Task


@dataclass
class TaskState:
    """What one task has in a run so far."""

    ok: dict[int, float] = field(default_factory=dict)
    errors: dict[int, int] = field(default_factory=dict)

    @property
    def rewards(self) -> list[float]:
        return [self.ok[a] for a in sorted(self.ok)]

    @property
    def attempted(self) -> set[int]:
        return set(self.ok) | set(self.errors)


class Allocation(Protocol):
    def next_attempts(self, state: TaskState, error_retries: int) -> list[int]:
        """Attempt numbers to run in the next wave; empty when the task is done."""
        ...


def _missing(state: TaskState, upto: int, error_retries: int) -> list[int]:
    return [a for a in range(upto) if a not in state.ok and state.errors.get(a, 0) <= error_retries]


@dataclass(frozen=True)
class FixedK:
    """Exactly k successful attempts per task (attempts 0..k-1)."""

    k: int

    def next_attempts(self, state: TaskState, error_retries: int) -> list[int]:
        return _missing(state, self.k, error_retries)


@dataclass(frozen=True)
class Curtailed:
    """Fixed-k decisions with fewer rollouts: stop once the band at k can no longer change."""

    k: int
    bands: BandSpec

    def next_attempts(self, state: TaskState, error_retries: int) -> list[int]:
        if settled_band(state.rewards, self.k, self.bands) is not None and state.ok:
            return []
        missing = _missing(state, self.k, error_retries)
        return missing[:1]


@dataclass
class WaveReport:
    rollouts: int = 0
    errors: int = 0
    waves: int = 0
    seconds: float = 0.0


ProgressHook = Callable[[int, int], None]
"""Called with (rollouts finished in this invocation, rollouts planned so far)."""


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
) -> WaveReport:
    """Run waves until the allocation wants nothing more; `states` is updated in place."""
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
            wave = [
                (task, attempt)
                for task in tasks
                for attempt in allocation.next_attempts(
                    states.setdefault(task.id, TaskState()), error_retries
                )
            ]
            if not wave:
                break
            report.waves += 1
            planned += len(wave)
            pending = {asyncio.ensure_future(one(t, a)) for t, a in wave}
            try:
                for finished in asyncio.as_completed(pending):
                    rollout = await finished
                    state = states[rollout.task_id]
                    if rollout.ok and rollout.reward is not None:
                        state.ok[rollout.attempt] = rollout.reward
                    else:
                        state.errors[rollout.attempt] = state.errors.get(rollout.attempt, 0) + 1
                        report.errors += 1
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
        else:
            state.errors[r.attempt] = state.errors.get(r.attempt, 0) + 1
    return states
