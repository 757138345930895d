"""The saturation policy: when has the frontier stopped separating models?

Crossing a threshold is an event, not a state: the decision says which
thresholds were crossed and whether a new teacher round may start now, or what
holds it back (cooldown, round limit, a round already running).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from frontier.domain.bands import Band, BandSummary
from frontier.domain.specs import SaturationSpec


@dataclass(frozen=True)
class Crossing:
    threshold: str
    model: str
    value: float
    limit: float

    def __str__(self) -> str:
        return f"{self.threshold} of {self.model} is {self.value:.3f} (limit {self.limit:.3f})"


@dataclass(frozen=True)
class SaturationDecision:
    detected: bool
    crossings: tuple[Crossing, ...] = ()
    start_round: bool = False
    held_by: str | None = None
    next_round: int | None = None
    details: dict[str, float] = field(default_factory=dict)

    @property
    def reason(self) -> str:
        return "; ".join(str(c) for c in self.crossings)


def crossings(
    spec: SaturationSpec,
    solver: tuple[str, BandSummary] | None,
    verifiers: Mapping[str, BandSummary],
) -> list[Crossing]:
    found: list[Crossing] = []
    if solver is not None and solver[1].total:
        name, summary = solver
        sat = summary.fraction(Band.SATURATED)
        if spec.solver_saturated_fraction is not None and sat >= spec.solver_saturated_fraction:
            found.append(
                Crossing("solverSaturatedFraction", name, sat, spec.solver_saturated_fraction)
            )
        hill = summary.fraction(Band.HILLCLIMBABLE)
        if spec.min_hillclimbable_fraction is not None and hill < spec.min_hillclimbable_fraction:
            found.append(
                Crossing("minHillclimbableFraction", name, hill, spec.min_hillclimbable_fraction)
            )
    if spec.verifier_saturated_fraction is not None:
        for name in sorted(verifiers):
            summary = verifiers[name]
            if not summary.total:
                continue
            sat = summary.fraction(Band.SATURATED)
            if sat >= spec.verifier_saturated_fraction:
                found.append(
                    Crossing(
                        "verifierSaturatedFraction", name, sat, spec.verifier_saturated_fraction
                    )
                )
    return found


def hold(
    spec: SaturationSpec,
    rounds_started: int,
    active_round: bool,
    seconds_since_last_round: float | None,
) -> str | None:
    """What keeps a new round from starting now, if anything."""
    if active_round:
        return "activeRound"
    if rounds_started >= spec.max_rounds:
        return "maxRounds"
    if seconds_since_last_round is not None and seconds_since_last_round < spec.cooldown_seconds:
        return "cooldown"
    return None


def decide(
    spec: SaturationSpec,
    *,
    solver: tuple[str, BandSummary] | None,
    verifiers: Mapping[str, BandSummary] | None = None,
    rounds_started: int,
    active_round: bool,
    seconds_since_last_round: float | None,
) -> SaturationDecision:
    """Whether saturation was detected and whether the next round may start now."""
    found = tuple(crossings(spec, solver, verifiers or {}))
    if not found:
        return SaturationDecision(detected=False)
    held = hold(spec, rounds_started, active_round, seconds_since_last_round)
    return SaturationDecision(
        detected=True,
        crossings=found,
        start_round=held is None,
        held_by=held,
        next_round=rounds_started + 1 if held is None else None,
    )


@dataclass(frozen=True)
class RoundPlan:
    """Whether the next teacher round starts now, and why (or what holds it)."""

    start: bool
    trigger: str | None
    held_by: str | None = None
    number: int | None = None
    saturation: SaturationDecision | None = None


def plan_next_round(
    spec: SaturationSpec,
    *,
    saturation: SaturationDecision,
    slice_size: int | None,
    target_slice_size: int,
    rounds_started: int,
    active_round: bool,
    seconds_since_last_round: float | None,
) -> RoundPlan:
    """The first round builds the first slice; later ones answer saturation or a short slice.

    The same holds (an active round, the round limit, the cooldown) apply to all.
    """
    if saturation.detected:
        trigger = "SaturationDetected"
    elif slice_size is None:
        trigger = "InitialSlice"
    elif slice_size < target_slice_size:
        trigger = "SliceBelowTarget"
    else:
        return RoundPlan(start=False, trigger=None, saturation=saturation)
    held = hold(spec, rounds_started, active_round, seconds_since_last_round)
    return RoundPlan(
        start=held is None,
        trigger=trigger,
        held_by=held,
        number=rounds_started + 1 if held is None else None,
        saturation=saturation,
    )
