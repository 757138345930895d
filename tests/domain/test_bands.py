import pytest
from hypothesis import given
from hypothesis import strategies as st

from frontier.domain.bands import (
    Band,
    BandSuccess,
    band_of,
    boundary_distance,
    partition,
    success_by_band,
    summarize,
)
from frontier.domain.metrics import TaskMetrics
from frontier.domain.specs import BandSpec

DEFAULT = BandSpec()


@pytest.mark.parametrize(
    ("mean", "band"),
    [
        (0.0, Band.UNREACHABLE),
        (0.02, Band.UNREACHABLE),
        (0.0200001, Band.HILLCLIMBABLE),
        (0.35, Band.HILLCLIMBABLE),
        (0.70, Band.HILLCLIMBABLE),
        (0.7000001, Band.SATURATED),
        (1.0, Band.SATURATED),
    ],
)
def test_band_edges_follow_the_design(mean: float, band: Band) -> None:
    assert band_of(mean, DEFAULT) is band


def test_task_with_mean_reward_0_70_is_hillclimbable() -> None:
    assert band_of(0.70, DEFAULT) is Band.HILLCLIMBABLE


def test_task_with_mean_reward_0_02_is_unreachable() -> None:
    assert band_of(0.02, DEFAULT) is Band.UNREACHABLE


def test_custom_edges_are_honoured() -> None:
    spec = BandSpec(unreachable_at_most=0.1, saturated_above=0.5)
    assert band_of(0.1, spec) is Band.UNREACHABLE
    assert band_of(0.5, spec) is Band.HILLCLIMBABLE
    assert band_of(0.51, spec) is Band.SATURATED


def test_a_mean_a_few_ulps_above_an_edge_counts_as_on_the_edge() -> None:
    thirds = BandSpec(unreachable_at_most=1 / 3, saturated_above=2 / 3)
    assert band_of(round(2 / 3, 12), thirds) is Band.HILLCLIMBABLE  # 0.666666666667 > 2/3
    assert band_of(sum([0.7] * 7) / 7, DEFAULT) is Band.HILLCLIMBABLE  # 0.7000000000000001
    assert band_of(round(1 / 3, 12) + 1e-12, thirds) is Band.UNREACHABLE


def test_summary_counts_and_fractions() -> None:
    means = {"a": 0.0, "b": 0.5, "c": 0.9, "d": 1.0}
    summary = summarize(partition(means, DEFAULT).values())
    assert summary.as_dict() == {"saturated": 2, "hillclimbable": 1, "unreachable": 1, "total": 4}
    assert summary.fraction(Band.SATURATED) == 0.5


def test_empty_summary_has_zero_fractions() -> None:
    assert summarize([]).fraction(Band.HILLCLIMBABLE) == 0.0


def test_boundary_distance_is_zero_on_an_edge() -> None:
    assert boundary_distance(0.70, DEFAULT) == 0.0
    assert boundary_distance(0.36, DEFAULT) == pytest.approx(0.34)


@given(st.dictionaries(st.text(min_size=1, max_size=8), st.floats(0.0, 1.0), max_size=50))
def test_partition_puts_every_task_in_exactly_one_band(means: dict[str, float]) -> None:
    assignment = partition(means, DEFAULT)
    assert set(assignment) == set(means)
    summary = summarize(assignment.values())
    assert summary.total == len(means)
    for task_id, band in assignment.items():
        m = means[task_id]
        assert (band is Band.UNREACHABLE) == (m <= 0.02)
        assert (band is Band.SATURATED) == (m > 0.70)


@given(st.floats(0.0, 1.0), st.floats(0.0, 1.0))
def test_band_is_monotone_in_mean_reward(a: float, b: float) -> None:
    order = {Band.UNREACHABLE: 0, Band.HILLCLIMBABLE: 1, Band.SATURATED: 2}
    lo, hi = sorted((a, b))
    assert order[band_of(lo, DEFAULT)] <= order[band_of(hi, DEFAULT)]


def test_success_by_band_counts_the_full_successes_of_each_bands_rollouts() -> None:
    per_task = {
        "nearly": TaskMetrics("nearly", n=4, successes=1, errors=0, mean_reward=0.9),
        "solved": TaskMetrics("solved", n=4, successes=4, errors=0, mean_reward=1.0),
        "partial": TaskMetrics("partial", n=4, successes=0, errors=1, mean_reward=0.5),
    }
    found = success_by_band(per_task, DEFAULT)
    assert list(found) == [Band.SATURATED, Band.HILLCLIMBABLE, Band.UNREACHABLE]
    assert found[Band.SATURATED] == BandSuccess(rollouts=8, successes=5)
    assert found[Band.SATURATED].rate == 5 / 8  # saturated, yet 3 of 8 attempts fail
    assert found[Band.HILLCLIMBABLE].rate == 0.0
    assert found[Band.UNREACHABLE].rate is None
