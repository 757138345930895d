"""Choosing which tasks the teacher mutates next.

A mutation adds or tightens one constraint, so a child is usually a little
harder than its parent. Which parents yield hillclimbable children depends on
the benchmark and the solver: with ShoppingBench's heuristic solver, children
of hillclimbable parents are admitted far more often than children of
saturated ones, which mostly stay saturated. So selection starts from a prior
that favours the upper hillclimbable band and the first stretch above the
saturated edge, and then learns: the admission rate observed for earlier
parents of similar mean reward replaces the prior as evidence accumulates.
Unreachable tasks only breed unreachable children and are never chosen. A
fifth of the parents are drawn in proportion to their score rather than taken
from the top, so buckets that look poor are still tried now and then. The
random strategy is the baseline the performance goals compare to.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from typing import Literal

from frontier.domain.specs import BandSpec

BUCKETS = 10
PRIOR_WEIGHT = 4.0
"""How many observed candidates the prior counts as, per bucket."""
EXPLORE_SHARE = 0.2


def boundary_score(mean_reward: float, bands: BandSpec) -> float:
    """The prior chance that a child of a parent with this mean is admitted (0 when unreachable)."""
    low, edge = bands.unreachable_at_most, bands.saturated_above
    if mean_reward <= low:
        return 0.0
    if mean_reward <= edge:
        return 0.5 + 0.5 * (mean_reward - low) / max(edge - low, 1e-9)
    return max(0.05, 0.8 * (1.0 - (mean_reward - edge) / max(1.0 - edge, 1e-9)))


def bucket(mean_reward: float) -> int:
    return min(int(mean_reward * BUCKETS), BUCKETS - 1)


def admission_evidence(history: Iterable[tuple[float, bool]]) -> dict[int, tuple[int, int]]:
    """(admitted, rolled out) per parent-mean bucket, from (parent mean, admitted) pairs."""
    evidence: dict[int, tuple[int, int]] = {}
    for mean, admitted in history:
        a, n = evidence.get(bucket(mean), (0, 0))
        evidence[bucket(mean)] = (a + int(admitted), n + 1)
    return evidence


def expected_yield(
    mean_reward: float, bands: BandSpec, evidence: Mapping[int, tuple[int, int]]
) -> float:
    """The prior for this mean, updated by what earlier children of similar parents did."""
    prior = boundary_score(mean_reward, bands)
    if prior == 0.0:
        return 0.0
    admitted, seen = evidence.get(bucket(mean_reward), (0, 0))
    return (admitted + PRIOR_WEIGHT * prior) / (seen + PRIOR_WEIGHT)


def select_parents(
    means: Mapping[str, float],
    bands: BandSpec,
    n: int,
    strategy: Literal["boundary", "random"],
    rng: random.Random,
    exclude: frozenset[str] = frozenset(),
    history: Iterable[tuple[float, bool]] = (),
) -> list[str]:
    """Up to n distinct parent task ids, deterministic for the rng's seed.

    `history` holds (parent mean, admitted) for earlier candidates that were
    rolled out; the boundary strategy learns from it.
    """
    pool = sorted(t for t in means if t not in exclude)
    if strategy == "random":
        return rng.sample(pool, min(n, len(pool)))
    evidence = admission_evidence(history)
    scored = [(expected_yield(means[t], bands, evidence), t) for t in pool]
    eligible = [(s, t) for s, t in scored if s > 0.0]
    # Ties broken by a seeded shuffle, so equal scores do not always favour small ids.
    rng.shuffle(eligible)
    eligible.sort(key=lambda st: -st[0])
    n = min(n, len(eligible))
    top = n - int(n * EXPLORE_SHARE)
    chosen = [t for _, t in eligible[:top]]
    rest = eligible[top:]
    while len(chosen) < n and rest:
        pick = rng.random() * sum(s for s, _ in rest)
        for i, (s, t) in enumerate(rest):
            pick -= s
            if pick <= 0.0 or i == len(rest) - 1:
                chosen.append(t)
                del rest[i]
                break
    return chosen
