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
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from frontier.domain.admission import Decision, Reason
from frontier.domain.bands import Band, band_of
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
