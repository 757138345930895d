"""A candidate's band predicted before any rollout, from its parent's recorded answers.

The parent's solver rollouts recorded final answers; grading those answers with
the child's grader says how the solver would score on the child if it answered
as it did on the parent. That is informative in one direction only: when every
replayed answer still scores above the saturated edge on the child, and the
solver saturated the parent, the child's new constraint did not bite and the
solver (which found those answers) will most likely saturate it too. A low
replayed score says nothing of the kind: the solver reads the child's request
and may adapt to the changed constraint, so no candidate is skipped as
unreachable by prediction.

Once a candidate is being rolled out, `curtailed_band` stops it early (stochastic
curtailment, `admission.stopConfidence`): when the band of its mean so far is where
its mean over k rollouts ends with at least the asked probability, under a normal
model of the rewards whose noise is learned from the run's own tasks.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from frontier.domain.admission import Decision, Reason
from frontier.domain.bands import Band, band_of
from frontier.domain.sampling import settled_band
from frontier.domain.specs import BandSpec


@dataclass(frozen=True)
class BandPrediction:
    """The band the replayed rewards' mean falls in, and the fraction of replays that agree."""

    band: Band | None
    mean: float | None
    replays: int
    confidence: float


def predict_band(replayed: Sequence[float], bands: BandSpec) -> BandPrediction:
    if not replayed:
        return BandPrediction(band=None, mean=None, replays=0, confidence=0.0)
    mean = sum(replayed) / len(replayed)
    band = band_of(mean, bands)
    agree = sum(1 for r in replayed if band_of(r, bands) is band)
    return BandPrediction(
        band=band, mean=mean, replays=len(replayed), confidence=agree / len(replayed)
    )


def skip_by_prediction(
    prediction: BandPrediction, parent_mean: float | None, bands: BandSpec, min_replays: int = 1
) -> Decision | None:
    """Reject a candidate without rollouts only when it is clearly saturated; None means roll it out.

    Clearly: the solver saturated the parent and every one of at least `min_replays`
    replayed parent answers scores above the saturated edge on the child.
    """
    if prediction.band is not Band.SATURATED or prediction.replays < min_replays:
        return None
    if prediction.confidence < 1.0:
        return None
    if parent_mean is None or band_of(parent_mean, bands) is not Band.SATURATED:
        return None
    assert prediction.mean is not None
    return Decision.reject(
        Reason.PREDICTED_SATURATED,
        f"the parent's {prediction.replays} recorded answers score {prediction.mean:.3f} "
        f"on this candidate (parent mean {parent_mean:.3f})",
    )


# --- stochastic curtailment of a candidate's rollouts ----------------------------

PRIOR_SPREAD = 0.5
"""The widest standard deviation a reward in [0, 1] can have (a coin flip at 0.5): the
spread assumed before a run has any task with two rewards."""
PRIOR_SPREAD_WEIGHT = 4.0
"""How many degrees of freedom `PRIOR_SPREAD` counts for in a pooled spread."""
TASK_SPREAD_WEIGHT = 4.0
"""How many degrees of freedom the run's pooled spread counts for in one task's spread."""


def _squares(rewards: Sequence[float]) -> float:
    mean = sum(rewards) / len(rewards)
    return sum((r - mean) ** 2 for r in rewards)


def pooled_spread(task_rewards: Iterable[Sequence[float]]) -> float:
    """The standard deviation of one rollout's reward around its task's mean, pooled over tasks.

    Every task with at least two rewards adds its squared deviations and its degrees of
    freedom; `PRIOR_SPREAD` counts for `PRIOR_SPREAD_WEIGHT` more, so a run with little
    data stays cautious, and binary rewards (spread near 0.5) keep it wide.
    """
    squares = PRIOR_SPREAD_WEIGHT * PRIOR_SPREAD**2
    freedom = PRIOR_SPREAD_WEIGHT
    for rewards in task_rewards:
        if len(rewards) >= 2:
            squares += _squares(rewards)
            freedom += len(rewards) - 1
    return math.sqrt(squares / freedom)


def _normal_cdf(z: float) -> float:
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


def band_at_k_probability(
    rewards: Sequence[float], k: int, bands: BandSpec, spread: float
) -> float:
    """The probability that the mean over k rollouts ends in the band of the observed mean.

    A normal model of partial credit: each reward is the task's mean plus noise of standard
    deviation σ, where σ² is the task's own sample variance shrunk toward `spread`²
    (`TASK_SPREAD_WEIGHT` degrees of freedom) and the mean is unknown (flat prior). The mean
    over k then has, given m rewards with mean x̄, mean x̄ and variance (k - m)·σ² / (k·m).
    The binomial posterior of `domain.sampling` treats a reward r as r successes of one
    trial, the widest noise a mean allows; partial-credit rewards repeat far more closely
    than that, so its stopping rule hardly ever fires on them.
    """
    m = len(rewards)
    if m == 0:
        return 0.0
    mean = sum(rewards) / m
    now = band_of(mean, bands)
    if m >= k:
        return 1.0
    variance = (_squares(rewards) + TASK_SPREAD_WEIGHT * spread**2) / (m - 1 + TASK_SPREAD_WEIGHT)
    sd = math.sqrt((k - m) * variance / (k * m))
    if sd == 0.0:
        return 1.0
    below_saturated = _normal_cdf((bands.saturated_above - mean) / sd)
    below_reachable = _normal_cdf((bands.unreachable_at_most - mean) / sd)
    if now is Band.SATURATED:
        return 1.0 - below_saturated
    if now is Band.UNREACHABLE:
        return below_reachable
    return below_saturated - below_reachable


def curtailed_band(
    rewards: Sequence[float], k: int, bands: BandSpec, *, confidence: float, spread: float
) -> Band | None:
    """The band a candidate stops in: certain at k (exact curtailment), or the band of its
    observed mean once that is where the mean over k ends with at least `confidence`
    (`band_at_k_probability`); None: roll it out once more."""
    settled = settled_band(rewards, k, bands)
    if settled is not None or not rewards:
        return settled
    if band_at_k_probability(rewards, k, bands, spread) >= confidence:
        return band_of(sum(rewards) / len(rewards), bands)
    return None
