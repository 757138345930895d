"""Admission decisions: a candidate is admitted only when it is grounded, novel,
well-formed, measured on enough rollouts, and hillclimbable for the solver.

Every rejection carries one reason from a closed set, so a round's yield can be
explained line by line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from frontier.domain.bands import Band, band_of
from frontier.domain.metrics import TaskMetrics
from frontier.domain.similarity import nearest
from frontier.domain.specs import AdmissionSpec, BandSpec
from frontier.domain.tasks import Grounding


class Reason(StrEnum):
    UNGROUNDED = "ungrounded"
    DUPLICATE = "duplicate"
    NEAR_DUPLICATE = "near_duplicate"
    MALFORMED = "malformed"
    SATURATED = "saturated"
    UNREACHABLE = "unreachable"
    INSUFFICIENT_ROLLOUTS = "insufficient_rollouts"
    PREDICTED_SATURATED = "predicted_saturated"
    INJECTION = "injection"
    """Task text that addresses the grader, the evaluator or the model's instructions."""


SCREEN_REASONS: frozenset[Reason] = frozenset(
    {
        Reason.UNGROUNDED,
        Reason.DUPLICATE,
        Reason.NEAR_DUPLICATE,
        Reason.MALFORMED,
        Reason.INJECTION,
    }
)
"""Reasons decided before any rollout: such candidates never reach the solver."""

NOT_ROLLED_OUT: frozenset[Reason] = SCREEN_REASONS | {Reason.PREDICTED_SATURATED}
"""Every reason decided without the candidate's own rollouts (screened, or skipped by
band prediction from the parent's answers): the candidates run leaves these out."""


@dataclass(frozen=True)
class Decision:
    admitted: bool
    reason: Reason | None = None
    detail: str = ""

    @classmethod
    def admit(cls, detail: str = "") -> Decision:
        return cls(True, None, detail)

    @classmethod
    def reject(cls, reason: Reason, detail: str = "") -> Decision:
        return cls(False, reason, detail)


@dataclass(frozen=True)
class Novelty:
    duplicate_of: str | None = None
    nearest_id: str | None = None
    similarity: float = 0.0


def novelty(
    task_id: str,
    query: str,
    existing_ids: set[str] | frozenset[str],
    existing_shingles: Mapping[str, frozenset[str]],
) -> Novelty:
    """How a candidate relates to what the frontier already holds."""
    if task_id in existing_ids:
        return Novelty(duplicate_of=task_id, nearest_id=task_id, similarity=1.0)
    near = nearest(query, existing_shingles)
    return Novelty(nearest_id=near.task_id, similarity=near.similarity)


def screen(
    grounding: Grounding,
    found: Novelty,
    spec: AdmissionSpec,
    *,
    injection: str | None = None,
) -> Decision | None:
    """The checks made before any rollout is spent; None means 'roll it out'.

    `injection` is the phrase of the task's text that addresses the harness
    (`domain.injection.addressed_to_the_harness`), if any.
    """
    if injection is not None:
        return Decision.reject(
            Reason.INJECTION, f"the task text addresses the harness, not the user: {injection!r}"
        )
    if not grounding.grounded:
        return Decision.reject(Reason.UNGROUNDED, grounding.reason)
    if found.duplicate_of is not None:
        return Decision.reject(Reason.DUPLICATE, f"same content as {found.duplicate_of}")
    if found.similarity >= 1.0 and found.nearest_id is not None:
        return Decision.reject(Reason.DUPLICATE, f"same query as {found.nearest_id}")
    if found.similarity >= spec.near_duplicate_threshold:
        return Decision.reject(
            Reason.NEAR_DUPLICATE,
            f"query similarity {found.similarity:.3f} to {found.nearest_id} "
            f">= {spec.near_duplicate_threshold}",
        )
    return None


def decide(
    grounding: Grounding,
    found: Novelty,
    profile: TaskMetrics | None,
    spec: AdmissionSpec,
    bands: BandSpec,
) -> Decision:
    """The full decision, once the candidate's rollouts are in."""
    pre = screen(grounding, found, spec)
    if pre is not None:
        return pre
    if profile is None or profile.n < spec.min_rollouts:
        n = 0 if profile is None else profile.n
        return Decision.reject(
            Reason.INSUFFICIENT_ROLLOUTS, f"{n} successful rollouts, need {spec.min_rollouts}"
        )
    band = band_of(profile.mean_reward, bands)
    detail = f"mean reward {profile.mean_reward:.3f} over {profile.n} rollouts"
    if band is Band.SATURATED:
        return Decision.reject(Reason.SATURATED, detail)
    if band is Band.UNREACHABLE:
        return Decision.reject(Reason.UNREACHABLE, detail)
    return Decision.admit(detail)
