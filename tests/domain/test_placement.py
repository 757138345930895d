"""A placement's plan says when the test stops and survives the store; its result reads in one line."""

from __future__ import annotations

import pytest

from frontier.domain.placement import PlacementPlan, PlacementResult, SliceForecast
from frontier.domain.runs import RunStats


def test_the_test_stops_when_precise_enough_or_out_of_items() -> None:
    plan = PlacementPlan(calibration=2, target_se=0.3, max_items=15)
    assert not plan.done(se=0.31, asked=14)
    assert plan.done(se=0.30, asked=3)
    assert plan.done(se=0.9, asked=15)


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"calibration": 0}, "calibration"),
        ({"target_se": 0.0}, "targetSe"),
        ({"max_items": 0}, "maxItems"),
        ({"prior_sd": -1.0}, "sd"),
    ],
)
def test_a_bad_plan_names_its_field(fields: dict[str, float], named: str) -> None:
    values = {"calibration": 1, "target_se": 0.3, "max_items": 5, **fields}
    with pytest.raises(ValueError, match=named):
        PlacementPlan(**values)  # type: ignore[arg-type]


def test_a_plan_and_a_result_round_trip_through_the_stored_run_stats() -> None:
    plan = PlacementPlan(calibration=3, target_se=0.25, max_items=12, prior_mean=0.4, prior_sd=1.3)
    assert PlacementPlan.from_wire(plan.to_wire()) == plan
    result = PlacementResult(
        model="m",
        calibration=3,
        theta=0.52,
        se=0.28,
        items=("t2", "t9"),
        successes=5,
        trials=8,
        slices=(SliceForecast(1, 40, 0.61), SliceForecast(2, 35, 0.44)),
    )
    assert RunStats.from_wire(RunStats(placement=result).to_wire()).placement == result


def test_the_headline_gives_theta_the_tasks_asked_and_the_forecast_per_version() -> None:
    result = PlacementResult(
        "m", 3, -0.5, 0.29, ("a", "b", "c"), 2, 12, (SliceForecast(1, 9, 0.3),)
    )
    assert result.headline() == (
        "m: θ -0.50 ± 0.29 (calibration v3) from 3 tasks, 2/12 solved; expected pass@1 v1 0.30"
    )
