"""Placing a new model on the item bank: the adaptive test's plan and what it found.

A placement asks few tasks (each the most informative at the model's current
ability) instead of all of them, so its result is an ability on the bank's
scale rather than a band count; from that ability the bank gives the model's
expected pass@1 on every slice version, including versions it never saw.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PlacementPlan:
    """The adaptive test of one placement run, stored with the run so a resume asks the same.

    `calibration` is the version whose items are asked (a refit meanwhile does not move
    the test); the test stops once θ's posterior SD is at most `target_se` or after
    `max_items` tasks; the prior on θ is normal, on the bank's scale.
    """

    calibration: int
    target_se: float
    max_items: int
    prior_mean: float = 0.0
    prior_sd: float = 1.0

    def __post_init__(self) -> None:
        if self.calibration < 1:
            raise ValueError(f"calibration must be a version >= 1, got {self.calibration}")
        if not self.target_se > 0:
            raise ValueError(f"targetSe must be > 0, got {self.target_se}")
        if self.max_items < 1:
            raise ValueError(f"maxItems must be >= 1, got {self.max_items}")
        if not self.prior_sd > 0:
            raise ValueError(f"the prior's sd must be > 0, got {self.prior_sd}")

    def done(self, se: float, asked: int) -> bool:
        """Whether the test stops: precise enough, or out of items."""
        return se <= self.target_se or asked >= self.max_items

    def to_wire(self) -> dict[str, Any]:
        return {
            "calibration": self.calibration,
            "targetSe": self.target_se,
            "maxItems": self.max_items,
            "priorMean": self.prior_mean,
            "priorSd": self.prior_sd,
        }

    @classmethod
    def from_wire(cls, wire: Mapping[str, Any]) -> PlacementPlan:
        return cls(
            calibration=int(wire["calibration"]),
            target_se=float(wire["targetSe"]),
            max_items=int(wire["maxItems"]),
            prior_mean=float(wire.get("priorMean", 0.0)),
            prior_sd=float(wire.get("priorSd", 1.0)),
        )


@dataclass(frozen=True)
class SliceForecast:
    """What a placed model is expected to score on one slice version (pass@1, from the bank)."""

    version: int
    items: int
    """The slice's calibrated, usable tasks the forecast averages over."""
    expected_pass: float


@dataclass(frozen=True)
class PlacementResult:
    """Where a placement put a model: θ ± SE on the calibration's scale, the tasks asked in
    order, its successes over the graded rollouts, and its forecast on every slice version."""

    model: str
    calibration: int
    theta: float
    se: float
    items: tuple[str, ...]
    successes: int
    trials: int
    slices: tuple[SliceForecast, ...] = ()

    def expected_on(self, version: int) -> float | None:
        """The expected pass@1 on slice `version`; None if it has no calibrated task."""
        return next((s.expected_pass for s in self.slices if s.version == version), None)

    def headline(self) -> str:
        """One line for an Event or the console."""
        forecast = ", ".join(f"v{s.version} {s.expected_pass:.2f}" for s in self.slices)
        return (
            f"{self.model}: θ {self.theta:+.2f} ± {self.se:.2f} (calibration "
            f"v{self.calibration}) from {len(self.items)} tasks, {self.successes}/{self.trials} "
            f"solved" + (f"; expected pass@1 {forecast}" if forecast else "")
        )

    def to_wire(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "calibration": self.calibration,
            "theta": self.theta,
            "se": self.se,
            "items": list(self.items),
            "successes": self.successes,
            "trials": self.trials,
            "slices": [
                {"version": s.version, "items": s.items, "expectedPass": s.expected_pass}
                for s in self.slices
            ],
        }

    @classmethod
    def from_wire(cls, wire: Mapping[str, Any]) -> PlacementResult:
        return cls(
            model=str(wire["model"]),
            calibration=int(wire["calibration"]),
            theta=float(wire["theta"]),
            se=float(wire["se"]),
            items=tuple(str(t) for t in wire.get("items", ())),
            successes=int(wire.get("successes", 0)),
            trials=int(wire.get("trials", 0)),
            slices=tuple(
                SliceForecast(int(s["version"]), int(s["items"]), float(s["expectedPass"]))
                for s in wire.get("slices", ())
            ),
        )
