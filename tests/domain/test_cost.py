"""Cost figures: never a division by zero, and a budget is crossed only by going past it."""

from __future__ import annotations

import pytest

from frontier.domain.cost import CostSummary, Spend, mean_cost, would_cross


def test_accuracy_per_dollar_is_the_success_rate_per_dollar_of_mean_rollout_cost() -> None:
    line = Spend("profile", "m", cost_usd=2.0, attempts=100, scored=80, successes=40)
    assert line.cost_per_rollout == pytest.approx(0.02)
    assert line.cost_per_success == pytest.approx(0.05)
    assert line.accuracy_per_dollar == pytest.approx(0.5 / 0.02)


def test_free_or_empty_lines_have_no_ratio_instead_of_dividing_by_zero() -> None:
    free = Spend("profile", "heuristic", attempts=10, scored=10, successes=5)
    assert (free.cost_per_rollout, free.accuracy_per_dollar) == (0.0, None)
    empty = Spend("verification", "m")
    assert (empty.cost_per_rollout, empty.cost_per_success, empty.accuracy_per_dollar) == (
        None,
        None,
        None,
    )
    assert CostSummary(lines=()).cost_per_admitted is None


def test_the_teacher_has_no_per_rollout_figures() -> None:
    teacher = Spend("teacher", "t", cost_usd=1.0, attempts=4)
    assert (teacher.cost_per_rollout, teacher.accuracy_per_dollar) == (None, None)


def test_reaching_the_budget_exactly_is_allowed_and_going_past_it_is_not() -> None:
    assert would_cross(0.6, 0.4, 1.0, "budget") is None
    assert would_cross(0.6, 0.5, 1.0, "budget") is not None
    assert would_cross(5.0, 5.0, None, "budget") is None


def test_a_models_mean_cost_per_attempt_spans_its_stages() -> None:
    lines = [
        Spend("profile", "m", cost_usd=1.0, attempts=10),
        Spend("candidates", "m", cost_usd=1.0, attempts=30),
        Spend("profile", "other", cost_usd=9.0, attempts=1),
    ]
    assert mean_cost(lines, "m") == pytest.approx(2.0 / 40)
    assert mean_cost(lines, "nobody") == 0.0
