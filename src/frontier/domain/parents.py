"""Choosing which tasks the teacher mutates next.

Mutations mostly make a task harder (one more constraint, a tighter budget), so
the best parents sit at or above the hillclimbable band: a saturated task just
over the edge, or a hillclimbable one the solver usually solves. Unreachable
tasks only breed unreachable children and are never chosen by the boundary
strategy. The random strategy is the baseline the performance goals compare to.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Literal

from frontier.domain.specs import BandSpec


def boundary_score(mean_reward: float, bands: BandSpec) -> float:
    """Higher is a better parent: peaks just above the saturated edge, zero when unreachable."""
    if mean_reward <= bands.unreachable_at_most:
        return 0.0
    edge = bands.saturated_above
    distance = abs(mean_reward - edge)
    span = max(edge - bands.unreachable_at_most, 1.0 - edge, 1e-9)
    return max(0.0, 1.0 - distance / span) + (0.25 if mean_reward >= edge else 0.0)


def select_parents(
    means: Mapping[str, float],
    bands: BandSpec,
    n: int,
    strategy: Literal["boundary", "random"],
    rng: random.Random,
    exclude: frozenset[str] = frozenset(),
) -> list[str]:
    """Up to n distinct parent task ids, deterministic for the rng's seed."""
    pool = sorted(t for t in means if t not in exclude)
    if strategy == "random":
        return rng.sample(pool, min(n, len(pool)))
    scored = [(boundary_score(means[t], bands), t) for t in pool]
    eligible = [(s, t) for s, t in scored if s > 0.0]
    # Ties broken by a seeded shuffle, so equal scores do not always favour small ids.
    rng.shuffle(eligible)
    eligible.sort(key=lambda st: -st[0])
    return [t for _, t in eligible[:n]]
