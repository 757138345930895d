"""Partitioning tasks into saturated / hillclimbable / unreachable bands by mean reward.

The edges are inclusive exactly as DESIGN.md states them: unreachable when the
mean is at most `unreachable_at_most`, saturated when it is strictly above
`saturated_above`, hillclimbable in between (both ends of that interval as
written: (a, b]). The SQL aggregation in the store uses the same edges.

A mean within EDGE_TOLERANCE of an edge counts as on it: rewards are fractions of
checks, far coarser than that, but a mean computed from floats (by Python or by SQL's
avg()) can land a few ulps on either side of an edge such as 0.70 or 2/3.

Bands count partial credit (a task's mean reward, CAR); a full success (ASR) is
rarer, so a saturated task can still fail most attempts. `success_by_band` says how
often each band's rollouts fully succeeded, to show both side by side.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from frontier.domain.metrics import TaskMetrics
from frontier.domain.specs import BandSpec


class Band(StrEnum):
    UNREACHABLE = "unreachable"
    HILLCLIMBABLE = "hillclimbable"
    SATURATED = "saturated"


BAND_ORDER: tuple[Band, ...] = (Band.SATURATED, Band.HILLCLIMBABLE, Band.UNREACHABLE)

EDGE_TOLERANCE = 1e-9
"""How close to a band edge a mean counts as on the edge (see the module docstring)."""


def band_of(mean_reward: float, bands: BandSpec) -> Band:
    if mean_reward <= bands.unreachable_at_most + EDGE_TOLERANCE:
        return Band.UNREACHABLE
    if mean_reward > bands.saturated_above + EDGE_TOLERANCE:
        return Band.SATURATED
    return Band.HILLCLIMBABLE


@dataclass(frozen=True)
class BandSummary:
    """How many tasks fall in each band, and their fractions of the whole."""

    saturated: int = 0
    hillclimbable: int = 0
    unreachable: int = 0

    @property
    def total(self) -> int:
        return self.saturated + self.hillclimbable + self.unreachable

    def count(self, band: Band) -> int:
        return int(getattr(self, band.value))

    def fraction(self, band: Band) -> float:
        return self.count(band) / self.total if self.total else 0.0

    def as_dict(self) -> dict[str, int]:
        return {
            "saturated": self.saturated,
            "hillclimbable": self.hillclimbable,
            "unreachable": self.unreachable,
            "total": self.total,
        }


def partition(means: Mapping[str, float], bands: BandSpec) -> dict[str, Band]:
    """Each task id's band, from its mean reward."""
    return {task_id: band_of(mean, bands) for task_id, mean in means.items()}


def summarize(assignment: Iterable[Band]) -> BandSummary:
    counts = {band: 0 for band in Band}
    for band in assignment:
        counts[band] += 1
    return BandSummary(
        saturated=counts[Band.SATURATED],
        hillclimbable=counts[Band.HILLCLIMBABLE],
        unreachable=counts[Band.UNREACHABLE],
    )


def boundary_distance(mean_reward: float, bands: BandSpec) -> float:
    """How far a mean lies from the nearest band edge (0 on an edge)."""
    return min(
        abs(mean_reward - bands.unreachable_at_most), abs(mean_reward - bands.saturated_above)
    )


@dataclass(frozen=True)
class BandSuccess:
    """The ok rollouts of one band's tasks and how many of them were full successes."""

    rollouts: int = 0
    successes: int = 0

    @property
    def rate(self) -> float | None:
        return self.successes / self.rollouts if self.rollouts else None


def success_by_band(
    per_task: Mapping[str, TaskMetrics],
    bands: BandSpec,
    decided: Mapping[str, Band] | None = None,
) -> dict[Band, BandSuccess]:
    """Per band (in BAND_ORDER), the share of its tasks' rollouts that fully succeeded.

    A task's band is its mean's, or the one in `decided` (a posterior-rule run's) when given.
    """
    totals = {band: [0, 0] for band in BAND_ORDER}
    for task_id, m in per_task.items():
        band = decided.get(task_id) if decided is not None else None
        counts = totals[band if band is not None else band_of(m.mean_reward, bands)]
        counts[0] += m.n
        counts[1] += m.successes
    return {band: BandSuccess(n, s) for band, (n, s) in totals.items()}
