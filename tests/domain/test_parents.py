import random

from frontier.domain.parents import boundary_score, select_parents
from frontier.domain.specs import BandSpec

BANDS = BandSpec()


def test_unreachable_tasks_are_never_boundary_parents() -> None:
    assert boundary_score(0.0, BANDS) == 0.0
    means = {"u": 0.0, "h": 0.6, "s": 0.8}
    assert "u" not in select_parents(means, BANDS, 3, "boundary", random.Random(0))


def test_boundary_prefers_tasks_just_above_the_saturated_edge() -> None:
    means = {"low": 0.1, "edge": 0.75, "top": 1.0, "mid": 0.5}
    assert select_parents(means, BANDS, 1, "boundary", random.Random(0)) == ["edge"]
    assert boundary_score(0.75, BANDS) > boundary_score(0.65, BANDS) > boundary_score(0.2, BANDS)


def test_parent_selection_is_deterministic_for_a_seed_and_honours_exclusions() -> None:
    means = {f"t{i}": i / 20 for i in range(20)}
    a = select_parents(means, BANDS, 5, "random", random.Random(3))
    b = select_parents(means, BANDS, 5, "random", random.Random(3))
    assert a == b and len(set(a)) == 5
    c = select_parents(means, BANDS, 30, "boundary", random.Random(1), exclude=frozenset({"t19"}))
    assert "t19" not in c and "t0" not in c and len(c) == 18
