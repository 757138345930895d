"""Curtailment: stop rolling out a task once its band can no longer change.

With k planned rollouts and rewards in [0, 1], the final mean after m rollouts
summing to s lies between s/k and (s + k - m)/k. When that whole interval sits
in one band, the remaining rollouts cannot change the decision, so fixed-k
decisions stay identical while rollouts are saved.
"""

from __future__ import annotations

from collections.abc import Sequence

from frontier.domain.bands import Band, band_of
from frontier.domain.specs import BandSpec


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
