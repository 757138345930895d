import random

from frontier.domain.parents import boundary_score, expected_yield, select_parents
from frontier.domain.specs import BandSpec

BANDS = BandSpec()


def test_unreachable_tasks_are_never_boundary_parents() -> None:
    assert boundary_score(0.0, BANDS) == 0.0
    assert boundary_score(0.02, BANDS) == 0.0
    means = {"u": 0.0, "h": 0.6, "s": 0.8}
    assert "u" not in select_parents(means, BANDS, 3, "boundary", random.Random(0))


def test_the_prior_favours_the_upper_hillclimbable_band_over_saturated_and_low_tasks() -> None:
    assert boundary_score(0.68, BANDS) > boundary_score(0.75, BANDS) > boundary_score(1.0, BANDS)
    assert boundary_score(0.68, BANDS) > boundary_score(0.2, BANDS) > 0.0
    means = {"low": 0.1, "upper": 0.65, "edge": 0.75, "top": 1.0}
    assert select_parents(means, BANDS, 1, "boundary", random.Random(0)) == ["upper"]


def test_evidence_that_a_bucket_admits_nothing_moves_selection_elsewhere() -> None:
    means = {"upper": 0.65, "edge": 0.75}
    history = [(0.61, False)] * 20 + [(0.72, True)] * 10
    assert expected_yield(0.65, BANDS, {}) > expected_yield(0.75, BANDS, {})
    assert select_parents(means, BANDS, 1, "boundary", random.Random(0), history=history) == [
        "edge"
    ]


def test_a_fifth_of_the_parents_explore_beyond_the_top_scores() -> None:
    means = {f"t{i:02d}": 0.03 + i * 0.0097 for i in range(100)}
    chosen = select_parents(means, BANDS, 20, "boundary", random.Random(5))
    ranked = sorted(means, key=lambda t: -boundary_score(means[t], BANDS))
    assert len(chosen) == len(set(chosen)) == 20
    assert set(ranked[:16]) <= set(chosen)
    assert len(set(chosen) - set(ranked[:20])) >= 1


def test_parent_selection_is_deterministic_for_a_seed_and_honours_exclusions() -> None:
    means = {f"t{i}": i / 20 for i in range(20)}
    a = select_parents(means, BANDS, 5, "random", random.Random(3))
    b = select_parents(means, BANDS, 5, "random", random.Random(3))
    assert a == b and len(set(a)) == 5
    c = select_parents(means, BANDS, 30, "boundary", random.Random(1), exclude=frozenset({"t19"}))
    assert "t19" not in c and "t0" not in c and len(c) == 18
    assert c == select_parents(
        means, BANDS, 30, "boundary", random.Random(1), exclude=frozenset({"t19"})
    )
