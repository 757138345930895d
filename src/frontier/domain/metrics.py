"""Reward and pass metrics per task and per task set, over rollouts that did not error.

A harness error says nothing about the model, so errored rollouts are left out
of every number here; a task with no successful rollout has no metrics at all.

pass@k is the unbiased estimator of Chen et al. (2021): the probability that at
least one of k attempts drawn without replacement from the n observed ones
succeeds, 1 - C(n-c, k) / C(n, k). pass^k is its dual: the probability that all
k succeed, C(c, k) / C(n, k). best-of-k is what actually happened: whether any
of the attempts succeeded.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from math import comb

from frontier.domain.tasks import Rollout


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased probability that at least one of k samples (of n, c correct) succeeds."""
    _check_counts(n, c, k)
    if n - c < k:
        return 1.0
    return 1.0 - comb(n - c, k) / comb(n, k)


def pass_hat_k(n: int, c: int, k: int) -> float:
    """Unbiased probability that all k samples (of n, c correct) succeed (pass^k)."""
    _check_counts(n, c, k)
    return comb(c, k) / comb(n, k)


def _check_counts(n: int, c: int, k: int) -> None:
    if n < 1 or not 0 <= c <= n:
        raise ValueError(f"need n >= 1 and 0 <= c <= n, got n={n}, c={c}")
    if not 1 <= k <= n:
        raise ValueError(f"k must be between 1 and n={n}, got {k}")


@dataclass(frozen=True)
class TaskMetrics:
    task_id: str
    n: int
    successes: int
    errors: int
    mean_reward: float

    @property
    def pass_at_1(self) -> float:
        return self.successes / self.n

    @property
    def best_of_n(self) -> float:
        return 1.0 if self.successes > 0 else 0.0

    def pass_at(self, k: int) -> float:
        return pass_at_k(self.n, self.successes, min(k, self.n))

    def pass_hat(self, k: int) -> float:
        return pass_hat_k(self.n, self.successes, min(k, self.n))


def task_metrics(rollouts: Iterable[Rollout]) -> dict[str, TaskMetrics]:
    """Per-task metrics; tasks whose every rollout errored are absent."""
    rewards: dict[str, list[float]] = defaultdict(list)
    successes: dict[str, int] = defaultdict(int)
    errors: dict[str, int] = defaultdict(int)
    for r in rollouts:
        if not r.ok or r.reward is None:
            errors[r.task_id] += 1
            continue
        rewards[r.task_id].append(r.reward)
        successes[r.task_id] += 1 if r.success else 0
    return {
        task_id: TaskMetrics(
            task_id=task_id,
            n=len(values),
            successes=successes[task_id],
            errors=errors[task_id],
            mean_reward=round(sum(values) / len(values), 12),  # 7 x 0.70 is 0.70, as in SQL
        )
        for task_id, values in rewards.items()
    }


def mean_rewards(rollouts: Iterable[Rollout]) -> dict[str, float]:
    return {t: m.mean_reward for t, m in task_metrics(rollouts).items()}


@dataclass(frozen=True)
class Interval:
    estimate: float
    low: float
    high: float

    def as_dict(self) -> dict[str, float]:
        return {"estimate": self.estimate, "low": self.low, "high": self.high}


def bootstrap(
    values: Sequence[float],
    *,
    statistic: Callable[[Sequence[float]], float] | None = None,
    resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> Interval:
    """Percentile bootstrap interval over tasks, deterministic for a seed."""
    if not values:
        raise ValueError("bootstrap needs at least one value")
    if not 0.0 < confidence < 1.0:
        raise ValueError("confidence must be in (0, 1)")
    stat = statistic or (lambda xs: sum(xs) / len(xs))
    rng = random.Random(seed)
    n = len(values)
    draws = sorted(stat([values[rng.randrange(n)] for _ in range(n)]) for _ in range(resamples))
    alpha = (1.0 - confidence) / 2.0
    low = draws[int(alpha * (resamples - 1))]
    high = draws[int((1.0 - alpha) * (resamples - 1) + 0.5)]
    return Interval(estimate=stat(values), low=low, high=high)


@dataclass(frozen=True)
class SetMetrics:
    """A model's numbers over a task set; k is the attempts per task the pass metrics assume."""

    tasks: int
    k: int
    mean_reward: Interval
    pass_at_1: Interval
    pass_at_k: Interval
    pass_hat_k: Interval
    best_of_k: Interval
    errors: int

    def as_dict(self) -> dict[str, object]:
        return {
            "tasks": self.tasks,
            "k": self.k,
            "errors": self.errors,
            "meanReward": self.mean_reward.as_dict(),
            "passAt1": self.pass_at_1.as_dict(),
            "passAtK": self.pass_at_k.as_dict(),
            "passHatK": self.pass_hat_k.as_dict(),
            "bestOfK": self.best_of_k.as_dict(),
        }


def set_metrics(
    per_task: Mapping[str, TaskMetrics], k: int, *, seed: int = 0, resamples: int = 1000
) -> SetMetrics | None:
    """Means over tasks with bootstrap intervals; None for an empty set."""
    if not per_task:
        return None
    ms = [per_task[t] for t in sorted(per_task)]

    def ci(values: list[float], offset: int) -> Interval:
        return bootstrap(values, seed=seed + offset, resamples=resamples)

    return SetMetrics(
        tasks=len(ms),
        k=k,
        mean_reward=ci([m.mean_reward for m in ms], 0),
        pass_at_1=ci([m.pass_at_1 for m in ms], 1),
        pass_at_k=ci([m.pass_at(k) for m in ms], 2),
        pass_hat_k=ci([m.pass_hat(k) for m in ms], 3),
        best_of_k=ci([m.best_of_n for m in ms], 4),
        errors=sum(m.errors for m in ms),
    )
