from itertools import combinations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from frontier.domain.metrics import (
    bootstrap,
    pass_at_k,
    pass_hat_k,
    set_metrics,
    task_metrics,
)
from frontier.domain.tasks import Rollout


def brute_pass_at_k(outcomes: list[bool], k: int) -> float:
    subsets = list(combinations(outcomes, k))
    return sum(any(s) for s in subsets) / len(subsets)


def brute_pass_hat_k(outcomes: list[bool], k: int) -> float:
    subsets = list(combinations(outcomes, k))
    return sum(all(s) for s in subsets) / len(subsets)


@pytest.mark.parametrize("n", range(1, 8))
def test_pass_at_k_matches_brute_force_enumeration_for_small_n(n: int) -> None:
    for c in range(n + 1):
        outcomes = [True] * c + [False] * (n - c)
        for k in range(1, n + 1):
            assert pass_at_k(n, c, k) == pytest.approx(brute_pass_at_k(outcomes, k))
            assert pass_hat_k(n, c, k) == pytest.approx(brute_pass_hat_k(outcomes, k))


def test_pass_at_1_is_the_success_rate() -> None:
    assert pass_at_k(10, 3, 1) == pytest.approx(0.3)
    assert pass_hat_k(10, 3, 1) == pytest.approx(0.3)


@pytest.mark.parametrize(("n", "c", "k"), [(0, 0, 1), (3, 4, 1), (3, 1, 0), (3, 1, 4), (3, -1, 1)])
def test_pass_at_k_rejects_impossible_counts(n: int, c: int, k: int) -> None:
    with pytest.raises(ValueError):
        pass_at_k(n, c, k)


def _r(
    task: str, attempt: int, reward: float | None, success: bool | None = None, status: str = "ok"
) -> Rollout:
    return Rollout(task_id=task, attempt=attempt, reward=reward, success=success, status=status)  # type: ignore[arg-type]


def test_errored_rollouts_are_excluded_from_metrics() -> None:
    rollouts = [
        _r("t", 0, 1.0, True),
        _r("t", 1, 0.0, False),
        _r("t", 2, None, None, "error"),
        _r("t", 3, None, None, "error"),
    ]
    m = task_metrics(rollouts)["t"]
    assert (m.n, m.successes, m.errors) == (2, 1, 2)
    assert m.mean_reward == 0.5
    assert m.pass_at_1 == 0.5


def test_a_task_whose_every_rollout_errored_has_no_metrics() -> None:
    assert task_metrics([_r("t", 0, None, None, "error")]) == {}


def test_best_of_k_is_any_actual_success() -> None:
    m = task_metrics([_r("t", 0, 0.2, False), _r("t", 1, 1.0, True)])["t"]
    assert m.best_of_n == 1.0
    m0 = task_metrics([_r("u", 0, 0.2, False), _r("u", 1, 0.4, False)])["u"]
    assert m0.best_of_n == 0.0


def test_bootstrap_is_deterministic_for_a_seed_and_brackets_the_estimate() -> None:
    values = [0.0, 0.1, 0.5, 0.9, 1.0, 0.3, 0.7]
    a = bootstrap(values, seed=7)
    b = bootstrap(values, seed=7)
    assert a == b
    assert a.low <= a.estimate <= a.high
    assert bootstrap([0.4, 0.4, 0.4]).low == pytest.approx(0.4)


def test_set_metrics_over_tasks() -> None:
    rollouts = [_r("a", i, 1.0, True) for i in range(4)] + [
        _r("b", i, 0.0, False) for i in range(4)
    ]
    sm = set_metrics(task_metrics(rollouts), k=4)
    assert sm is not None
    assert sm.tasks == 2
    assert sm.pass_at_1.estimate == 0.5
    assert sm.pass_at_k.estimate == 0.5
    assert sm.pass_hat_k.estimate == 0.5
    assert set_metrics({}, k=4) is None


@given(
    st.integers(1, 12).flatmap(
        lambda n: st.tuples(st.just(n), st.integers(0, n), st.integers(1, n))
    )
)
def test_pass_at_k_bounds_pass_hat_k(nck: tuple[int, int, int]) -> None:
    n, c, k = nck
    eps = 1e-9
    assert -eps <= pass_hat_k(n, c, k) <= c / n + eps
    assert c / n <= pass_at_k(n, c, k) + eps <= 1.0 + 2 * eps


def test_seven_rewards_of_0_70_have_a_mean_of_exactly_0_70_and_stay_hillclimbable() -> None:
    from frontier.domain.bands import Band, band_of
    from frontier.domain.specs import BandSpec

    rollouts = [Rollout(task_id="t", attempt=i, reward=0.7, success=False) for i in range(7)]
    mean = task_metrics(rollouts)["t"].mean_reward
    assert mean == 0.7
    assert band_of(mean, BandSpec()) is Band.HILLCLIMBABLE
