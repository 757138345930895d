from __future__ import annotations

import math
import random

import pytest

from frontier.domain.irt import (
    Ability,
    Calibration,
    ItemParams,
    expected_pass,
    flag_item,
    information,
    inverted_by_fdr,
    p_success,
)


def test_p_success_is_one_half_at_the_difficulty_and_rises_with_ability() -> None:
    assert p_success(0.7, 1.3, 0.7) == pytest.approx(0.5)
    assert p_success(1.0, 1.0, 0.0) > p_success(0.0, 1.0, 0.0) > p_success(-1.0, 1.0, 0.0)
    assert p_success(0.0, 1.0, 0.0) + p_success(0.0, -1.0, 0.0) == pytest.approx(1.0)


def test_p_success_does_not_overflow_far_from_the_difficulty() -> None:
    assert p_success(1e4, 1.0, 0.0) == pytest.approx(1.0)
    assert p_success(-1e4, 1.0, 0.0) == pytest.approx(0.0)


def test_binomial_information_equals_k_times_bernoulli_information() -> None:
    one = information(0.3, 1.7, -0.2)
    p = p_success(0.3, 1.7, -0.2)
    assert one == pytest.approx(1.7**2 * p * (1 - p))
    assert information(0.3, 1.7, -0.2, trials=4) == pytest.approx(4 * one)
    assert information(0.3, 1.7, -0.2, trials=0) == 0.0


def test_information_is_largest_at_the_difficulty() -> None:
    at_b = information(0.5, 2.0, 0.5)
    assert at_b == pytest.approx(1.0)  # a²/4
    assert information(1.5, 2.0, 0.5) < at_b


def test_negative_trials_are_refused() -> None:
    with pytest.raises(ValueError):
        information(0.0, 1.0, 0.0, trials=-1)


def test_expected_pass_is_the_mean_success_probability_over_the_items() -> None:
    items = [ItemParams("t1", 1.0, 0.0, 0.1, 0.1), ItemParams("t2", 2.0, 1.0, 0.1, 0.1)]
    want = (p_success(0.5, 1.0, 0.0) + p_success(0.5, 2.0, 1.0)) / 2
    assert expected_pass(0.5, items) == pytest.approx(want)
    with pytest.raises(ValueError):
        expected_pass(0.5, [])


def test_a_negative_discrimination_whose_interval_excludes_zero_is_suspect_grading() -> None:
    assert flag_item(-0.8, 0.2) == "suspect_grading"


def test_a_negative_discrimination_whose_interval_covers_zero_is_not_suspect() -> None:
    assert flag_item(-0.3, 0.4) is None
    assert flag_item(-0.1, 0.4) == "uninformative"


def test_a_small_discrimination_is_uninformative_and_a_clear_one_is_unflagged() -> None:
    assert flag_item(0.1, 0.05) == "uninformative"
    assert flag_item(1.2, 0.3) is None
    assert flag_item(0.3, 0.1, uninformative_below=0.5) == "uninformative"


def test_a_calibration_finds_its_items_and_abilities_by_name() -> None:
    cal = Calibration(
        items=(ItemParams("t1", 1.0, 0.0, 0.1, 0.2, n=8),),
        abilities=(Ability("m1", 0.4, 0.1, n=8),),
        anchor="2 models: mean θ 0, sd 1",
        library="numpy",
        library_version="2",
        fit={"log_likelihood": -1.0},
    )
    assert cal.item("t1").b_se == 0.2
    assert math.isclose(cal.ability("m1").theta, 0.4)
    with pytest.raises(KeyError):
        cal.item("nope")
    with pytest.raises(KeyError):
        cal.ability("nope")


def test_a_bank_of_unbiased_items_flags_almost_none_by_chance_alone() -> None:
    rng = random.Random(11)
    a = [rng.gauss(0.0, 0.5) for _ in range(600)]  # true a = 0: any flag is a false one
    flagged = inverted_by_fdr(a, [0.5] * 600)
    assert sum(flagged) <= 3  # a one-sided 2.5% test per item would flag about 15


def test_items_clearly_graded_backwards_are_flagged_under_the_false_discovery_rate() -> None:
    a = [1.2] * 95 + [-2.5] * 5
    flagged = inverted_by_fdr(a, [0.4] * 100)
    assert flagged == [False] * 95 + [True] * 5
