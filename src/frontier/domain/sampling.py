"""How many rollouts a task gets: curtailment, and sequential (adaptive) allocation.

Rollouts are the cost of a living benchmark, and fixed k spends them evenly:
a task that succeeded on its first two attempts gets as many more as one
sitting on the 0.70 edge. Three rules live here, all pure:

* `settled_band` (deterministic curtailment): with k planned rollouts and
  rewards in [0, 1], the final mean after m rollouts summing to s lies between
  s/k and (s + k - m)/k. When that whole interval sits in one band, the
  remaining rollouts cannot change the decision: identical fixed-k decisions,
  fewer rollouts.
* `predicted_band` (stochastic curtailment, the "curtailed-k" mode): also
  stop when the remaining rollouts are very unlikely to change the fixed-k
  decision, judged by the posterior predictive. It matches fixed k on almost
  every task with clearly fewer rollouts than deterministic curtailment.
* `adaptive_step` and `plan_wave` (the adaptive mode): aim at the task's true
  band, not at what k rollouts would say. A task stops once the posterior
  probability that its true mean lies in the band of its observed mean reaches
  `confidence`, or at `max_rollouts`; a run-wide budget (a mean number of
  rollouts per task) goes first to the open tasks where one more rollout is
  expected to do most for the chance of a right band: tasks near band edges,
  but not those sitting exactly on one, which no affordable number settles.

The posterior is a grid over a task's mean reward μ with a binomial
likelihood on the summed rewards (a reward r counts as r successes and 1 - r
failures). For binary rewards that is exact. For rewards in [0, 1] the
variance at mean μ is at most μ(1 - μ), the Bernoulli case, so the same
likelihood is the widest one consistent with the mean: to a normal
approximation the posterior is too cautious for partial credit, not
overconfident. The
prior is either Jeffreys' Beta(1/2, 1/2) (mass at both ends, as real task sets
have) or fitted to the run itself (`fit_prior`, empirical Bayes): stopping is
only as good as the prior's picture of how tasks are spread, and the run's
own first rollouts are the best picture available.

By default the decision is the band of the observed mean (DESIGN.md), so the
policies only decide when to stop. `AdaptiveSpec.decide: posterior` opts a
budgeted run into deciding by the posterior's most likely band under the prior
fitted to the whole run, which the run stores; `decided_band` is that decision,
and the store's band aggregation and the solver's view call it, so every reader
of the run's bands agrees.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from frontier.domain.bands import Band, band_of
from frontier.domain.specs import AdaptiveSpec, BandSpec

GRID_STEPS = 100
"""The posterior grid is μ = 0, 1/100, ..., 1: the default band edges (0.02, 0.70) are grid points."""

_GRID: tuple[float, ...] = tuple(i / GRID_STEPS for i in range(GRID_STEPS + 1))
_PRIOR_FLOOR = 0.05
"""Share of Jeffreys' prior mixed into a fitted prior, so no mean is ever ruled out a priori."""


# --- deterministic curtailment ------------------------------------------------


def settled_band(rewards: Sequence[float], k: int, bands: BandSpec) -> Band | None:
    """The band a task will end in at k rollouts, if already certain; else None."""
    m = len(rewards)
    if m >= k:
        return band_of(sum(rewards) / m, bands)
    s = sum(rewards)
    low = band_of(s / k, bands)
    high = band_of((s + (k - m)) / k, bands)
    return low if low is high else None


def cannot_be_hillclimbable(rewards: Sequence[float], k: int, bands: BandSpec) -> bool:
    """True when the candidate is surely saturated or surely unreachable at k rollouts."""
    band = settled_band(rewards, k, bands)
    return band is not None and band is not Band.HILLCLIMBABLE


# --- the posterior over a task's mean reward ------------------------------------


@dataclass(frozen=True)
class Prior:
    """A prior over a task's mean reward: one weight per grid point μ = i / GRID_STEPS."""

    weights: tuple[float, ...]
    _hash: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.weights) != GRID_STEPS + 1:
            raise ValueError(
                f"prior weights: need {GRID_STEPS + 1} grid weights, got {len(self.weights)}"
            )
        if any(w < 0 or not math.isfinite(w) for w in self.weights) or sum(self.weights) <= 0:
            raise ValueError("prior weights: must be finite, non-negative and not all zero")
        # Priors key the posterior caches; hashing 101 floats on every lookup would dominate.
        object.__setattr__(self, "_hash", hash(self.weights))

    def __hash__(self) -> int:
        return self._hash

    @classmethod
    def jeffreys(cls) -> Prior:
        return _jeffreys()

    def to_wire(self) -> list[float]:
        """The grid weights, as a run stores its fitted prior (JSON)."""
        return list(self.weights)

    @classmethod
    def from_wire(cls, weights: Sequence[float]) -> Prior:
        return cls(tuple(float(w) for w in weights))


@lru_cache(maxsize=1)
def _jeffreys() -> Prior:
    """Beta(1/2, 1/2) mass of each grid point's cell, from its CDF (2/π)·asin(√x)."""

    def cdf(x: float) -> float:
        return 2 / math.pi * math.asin(math.sqrt(min(1.0, max(0.0, x))))

    half = 0.5 / GRID_STEPS
    return Prior(tuple(cdf(mu + half) - cdf(mu - half) for mu in _GRID))


def _log_likelihood(n: int, s: float) -> list[float]:
    out = []
    for mu in _GRID:
        if mu == 0.0:
            out.append(0.0 if s == 0 else -math.inf)
        elif mu == 1.0:
            out.append(0.0 if s == n else -math.inf)
        else:
            out.append(s * math.log(mu) + (n - s) * math.log1p(-mu))
    return out


def _key(n: int, s: float) -> tuple[int, float]:
    # Sums are rounded so that float noise in a sum never splits a cache entry.
    return n, round(s, 9)


@lru_cache(maxsize=65536)
def _posterior(n: int, s: float, prior: Prior) -> tuple[float, ...]:
    logs = _log_likelihood(n, s)
    top = max(lp + math.log(w) for lp, w in zip(logs, prior.weights, strict=True) if w > 0)
    if top == -math.inf:
        raise ValueError(f"the prior gives no weight to any mean that could yield {s} of {n}")
    raw = [
        w * math.exp(lp - top) if w > 0 and lp > -math.inf else 0.0
        for lp, w in zip(logs, prior.weights, strict=True)
    ]
    total = sum(raw)
    return tuple(r / total for r in raw)


def posterior(rewards: Sequence[float], prior: Prior | None = None) -> tuple[float, ...]:
    """Posterior weights on the grid of means, given a task's rewards so far."""
    _check_rewards(rewards)
    return _posterior(*_key(len(rewards), sum(rewards)), prior or Prior.jeffreys())


@lru_cache(maxsize=65536)
def _band_probabilities(n: int, s: float, prior: Prior, bands: BandSpec) -> dict[Band, float]:
    probs = dict.fromkeys(Band, 0.0)
    for mu, w in zip(_GRID, _posterior(n, s, prior), strict=True):
        probs[band_of(mu, bands)] += w
    return probs


def band_probabilities(
    rewards: Sequence[float], bands: BandSpec, prior: Prior | None = None
) -> dict[Band, float]:
    """Posterior probability that the task's true mean reward lies in each band."""
    _check_rewards(rewards)
    return dict(
        _band_probabilities(*_key(len(rewards), sum(rewards)), prior or Prior.jeffreys(), bands)
    )


def band_confidence(
    rewards: Sequence[float],
    bands: BandSpec,
    prior: Prior | None = None,
    *,
    posterior_rule: bool = False,
) -> float:
    """Posterior probability that the band decided now is the task's true band: the band
    of the observed mean, or with `posterior_rule` the posterior's most likely band."""
    if not rewards:
        return 0.0
    probs = band_probabilities(rewards, bands, prior)
    if posterior_rule:
        return max(probs.values())
    return probs[band_of(sum(rewards) / len(rewards), bands)]


# --- the decision: one rule for the pipeline, the store, the status and the report ---

_MAP_ORDER = (Band.HILLCLIMBABLE, Band.SATURATED, Band.UNREACHABLE)
"""Ties between equally likely bands go to the first here (exact ties are measure zero)."""


def _map_band(n: int, s: float, prior: Prior, bands: BandSpec) -> Band:
    probs = _band_probabilities(n, s, prior, bands)
    return max(_MAP_ORDER, key=lambda b: (probs[b], -_MAP_ORDER.index(b)))


def decided_band(n_ok: int, reward_sum: float, bands: BandSpec, prior: Prior | None) -> Band:
    """A task's band from its scored rollouts' count and reward sum.

    `prior` None (the default rule, DESIGN.md): the band of the observed mean. With the
    prior a posterior-rule run stored (`AdaptiveSpec.decide: posterior`): the band
    the posterior over the task's mean reward finds most likely. The store's band
    aggregation and the solver's view call this for posterior-rule runs, so every
    reader of a run's bands agrees with the rule it was profiled under.
    """
    if n_ok < 1:
        raise ValueError("a task with no scored rollout has no band")
    if not 0 <= reward_sum <= n_ok + 1e-9:
        raise ValueError(f"reward sum {reward_sum} outside [0, {n_ok}]")
    if prior is None:
        return band_of(reward_sum / n_ok, bands)
    n, s = _key(n_ok, min(float(n_ok), max(0.0, reward_sum)))
    return _map_band(n, s, prior, bands)


def _check_rewards(rewards: Sequence[float]) -> None:
    for i, r in enumerate(rewards):
        if not 0.0 <= r <= 1.0:
            raise ValueError(f"rewards[{i}] = {r!r}: rewards must lie in [0, 1]")


# --- fitting the prior to the run (empirical Bayes) ------------------------------


def fit_prior(
    task_rewards: Sequence[Sequence[float]],
    *,
    start: Prior | None = None,
    iterations: int = 50,
) -> Prior:
    """The spread of mean rewards across a run's tasks, estimated from their rollouts so far.

    A nonparametric maximum-likelihood fit on the grid (EM), mixed with 5% of
    Jeffreys' prior so no mean is ruled out. Tasks may have different numbers of
    rollouts: stopping that depends only on observed rewards leaves the
    likelihood unchanged, so the adaptive run's own data may be reused. Pass
    the previous fit as `start` to refine it cheaply wave after wave.
    """
    for rewards in task_rewards:
        _check_rewards(rewards)
    return fit_prior_sums(
        [(len(r), sum(r)) for r in task_rewards if len(r) > 0], start=start, iterations=iterations
    )


def fit_prior_sums(
    sums: Sequence[tuple[int, float]], *, start: Prior | None = None, iterations: int = 50
) -> Prior:
    """`fit_prior` from each task's (scored rollouts, reward sum), as the store keeps them."""
    states = Counter(_key(n, min(float(n), max(0.0, s))) for n, s in sums if n > 0)
    base = Prior.jeffreys().weights
    if not states:
        return Prior.jeffreys()
    likelihoods = []
    for (n, s), count in states.items():
        logs = _log_likelihood(n, s)
        top = max(logs)
        likelihoods.append((count, [math.exp(lp - top) if lp > -math.inf else 0.0 for lp in logs]))
    total = sum(states.values())
    weights = list((start or Prior.jeffreys()).weights)
    norm = sum(weights)
    weights = [w / norm for w in weights]
    for _ in range(iterations):
        acc = [0.0] * len(weights)
        for count, lik in likelihoods:
            joint = [w * x for w, x in zip(weights, lik, strict=True)]
            z = sum(joint)
            if z <= 0:
                continue
            factor = count / z
            for j, v in enumerate(joint):
                if v:
                    acc[j] += v * factor
        weights = [a / total for a in acc]
    return Prior(
        tuple((1 - _PRIOR_FLOOR) * w + _PRIOR_FLOOR * b for w, b in zip(weights, base, strict=True))
    )


# --- stochastic curtailment: fixed-k decisions with fewer rollouts ---------------


@lru_cache(maxsize=65536)
def _predicted_band(n: int, s: float, k: int, prior: Prior, bands: BandSpec) -> tuple[Band, float]:
    now = band_of(s / n, bands) if n else band_of(0.0, bands)
    left = k - n
    post = _posterior(n, s, prior)
    same = 0.0
    for j in range(left + 1):
        # Future rewards as 0 or 1: exact for binary rewards; for partial credit
        # the widest spread a [0, 1] reward can have, usually the cautious side
        # (the bench measures it: 98.7% agreement on CAR-like tasks).
        if band_of((s + j) / k, bands) is not now:
            continue
        comb = math.comb(left, j)
        same += sum(
            w * comb * mu**j * (1 - mu) ** (left - j)
            for mu, w in zip(_GRID, post, strict=True)
            if w
        )
    return now, same


def predicted_band(
    rewards: Sequence[float],
    k: int,
    bands: BandSpec,
    *,
    confidence: float,
    prior: Prior | None = None,
) -> Band | None:
    """The fixed-k band, if certain (curtailment) or predicted with at least `confidence`.

    A task is only stopped in the band of its observed mean, so what is stored
    and aggregated later agrees with what was decided here.
    """
    _check_rewards(rewards)
    settled = settled_band(rewards, k, bands)
    if settled is not None or not rewards:
        return settled
    now, p_same = _predicted_band(
        *_key(len(rewards), sum(rewards)), k, prior or Prior.jeffreys(), bands
    )
    return now if p_same >= confidence else None


# --- adaptive allocation: aim at the true band -----------------------------------


def adaptive_step(
    rewards: Sequence[float],
    spec: AdaptiveSpec,
    bands: BandSpec,
    prior: Prior | None = None,
) -> int:
    """How many more rollouts this task wants now (0: stop).

    Up to `min_rollouts` first; then one more at a time while the band of the
    observed mean has posterior probability below `confidence`, never past
    `max_rollouts`.
    """
    n = len(rewards)
    if n < spec.min_rollouts:
        return min(spec.min_rollouts, spec.max_rollouts) - n
    if n >= spec.max_rollouts:
        return 0
    confident = band_confidence(rewards, bands, prior, posterior_rule=spec.decide == "posterior")
    return 0 if confident >= spec.stop_confidence else 1


@lru_cache(maxsize=65536)
def _expected_confidence(
    n: int, s: float, h: int, prior: Prior, bands: BandSpec, posterior_rule: bool = False
) -> float:
    """Expected posterior probability of being right after h more rollouts (0/1 outcomes)."""
    post = _posterior(n, s, prior)
    total = 0.0
    for j in range(h + 1):
        comb = math.comb(h, j)
        q = sum(
            w * comb * mu**j * (1 - mu) ** (h - j) for mu, w in zip(_GRID, post, strict=True) if w
        )
        if q <= 0:
            continue
        after = _band_probabilities(*_key(n + h, s + j), prior, bands)
        total += q * (
            max(after.values()) if posterior_rule else after[band_of((s + j) / (n + h), bands)]
        )
    return total


_LOOKAHEADS = (1, 2, 4, 8)
_WAVE_SHARE = 2


def rollout_value(
    rewards: Sequence[float],
    bands: BandSpec,
    prior: Prior | None = None,
    *,
    horizon: int = 8,
    posterior_rule: bool = False,
) -> float:
    """The expected gain in the chance of a right band per extra rollout (knowledge gradient).

    Looking one rollout ahead is not enough: one more rollout often cannot move
    the observed mean across an edge, so its value is zero even where a few
    more would settle the band. The value is the best gain per rollout over
    1, 2, 4 and 8 more (KG*), capped at `horizon`. A task sitting exactly on an
    edge has little value (no affordable number of rollouts settles it), so a
    short budget goes where it changes decisions.
    """
    _check_rewards(rewards)
    p = prior or Prior.jeffreys()
    n, s = _key(len(rewards), sum(rewards))
    now = band_confidence(rewards, bands, p, posterior_rule=posterior_rule)
    best = 0.0
    for h in _LOOKAHEADS:
        if h > horizon:
            break
        gain = _expected_confidence(n, s, h, p, bands, posterior_rule) - now
        best = max(best, gain / h)
    return best


def plan_wave(
    task_rewards: Mapping[str, Sequence[float]],
    spec: AdaptiveSpec,
    bands: BandSpec,
    *,
    budget: int | None = None,
    prior: Prior | None = None,
) -> dict[str, int]:
    """The next wave of a run: how many more rollouts each task gets (absent: none).

    `budget` is what the run may still spend (for a mean of k rollouts per task:
    k × tasks minus rollouts done). Every task gets its `min_rollouts` first
    (by task id when the budget is short), so each task has a band. Then unsettled tasks get one more each,
    in order of `rollout_value`; with a budget, a wave takes at most half of
    what is left, so the last rollouts go to the tasks that still need them
    after the earlier waves came back. When every task has reached its stop
    confidence and budget is left, the tasks below `max_rollouts` compete for it
    by the same value, so a budgeted run spends its whole budget (a budget left
    unspent helps no decision).
    """
    if budget is not None and budget < 0:
        raise ValueError(f"budget must not be negative, got {budget}")
    left = math.inf if budget is None else budget
    wave: dict[str, int] = {}
    for task_id in sorted(task_rewards):
        short = min(spec.min_rollouts, spec.max_rollouts) - len(task_rewards[task_id])
        if short > 0 and left > 0:
            wave[task_id] = int(min(short, left))
            left -= wave[task_id]
    if wave or left <= 0:
        return wave
    open_ids = [t for t, r in task_rewards.items() if adaptive_step(r, spec, bands, prior) > 0]
    if not open_ids and budget is not None:
        # Every task reached its stop confidence with budget left: a budget is there to be
        # spent, so the rest goes where one more rollout helps most, up to max_rollouts.
        open_ids = [t for t, r in task_rewards.items() if len(r) < spec.max_rollouts]
    ranked = sorted(
        (
            -rollout_value(
                task_rewards[task_id],
                bands,
                prior,
                horizon=spec.max_rollouts - len(task_rewards[task_id]),
                posterior_rule=spec.decide == "posterior",
            ),
            task_id,
        )
        for task_id in open_ids
    )
    take = (
        len(ranked) if budget is None else min(len(ranked), max(1, math.ceil(left / _WAVE_SHARE)))
    )
    return {task_id: 1 for _, task_id in ranked[:take]}
