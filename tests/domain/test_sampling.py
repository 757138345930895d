from hypothesis import given
from hypothesis import strategies as st

from frontier.domain.bands import Band, band_of
from frontier.domain.sampling import cannot_be_hillclimbable, settled_band
from frontier.domain.specs import BandSpec

BANDS = BandSpec()


def test_three_full_successes_of_four_are_already_saturated() -> None:
    assert settled_band([1.0, 1.0, 1.0], 4, BANDS) is Band.SATURATED
    assert cannot_be_hillclimbable([1.0, 1.0, 1.0], 4, BANDS)


def test_two_failures_of_four_leave_the_band_open() -> None:
    assert settled_band([0.0, 0.0], 4, BANDS) is None


def test_a_partial_reward_can_settle_hillclimbable_early() -> None:
    assert settled_band([0.0, 0.0, 0.5], 4, BANDS) is Band.HILLCLIMBABLE
    assert settled_band([0.0, 0.0, 0.05], 4, BANDS) is None
    assert settled_band([0.0, 0.0, 0.0, 0.05], 4, BANDS) is Band.UNREACHABLE


@given(st.lists(st.floats(0, 1), min_size=1, max_size=8), st.data())
def test_a_settled_band_is_the_band_at_k_whatever_comes_next(
    rewards: list[float], data: st.DataObject
) -> None:
    k = len(rewards)
    m = data.draw(st.integers(0, k))
    band = settled_band(rewards[:m], k, BANDS)
    if band is not None:
        assert band is band_of(sum(rewards) / k, BANDS)
