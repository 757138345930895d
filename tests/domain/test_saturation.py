from frontier.domain.bands import BandSummary
from frontier.domain.saturation import decide
from frontier.domain.specs import SaturationSpec

HALF_SATURATED = BandSummary(saturated=5, hillclimbable=5, unreachable=0)
MOSTLY_HILL = BandSummary(saturated=1, hillclimbable=8, unreachable=1)


def test_solver_saturated_fraction_at_the_threshold_is_detected_and_starts_a_round() -> None:
    d = decide(
        SaturationSpec(),
        solver=("solver", HALF_SATURATED),
        rounds_started=0,
        active_round=False,
        seconds_since_last_round=None,
    )
    assert d.detected and d.start_round and d.next_round == 1
    assert d.crossings[0].threshold == "solverSaturatedFraction"
    assert "solver" in d.reason


def test_below_every_threshold_nothing_is_detected() -> None:
    d = decide(
        SaturationSpec(),
        solver=("solver", MOSTLY_HILL),
        rounds_started=0,
        active_round=False,
        seconds_since_last_round=None,
    )
    assert not d.detected and not d.start_round


def test_verifier_threshold_names_the_verifier() -> None:
    spec = SaturationSpec(solver_saturated_fraction=None, verifier_saturated_fraction=0.4)
    d = decide(
        spec,
        solver=None,
        verifiers={"big": HALF_SATURATED, "small": MOSTLY_HILL},
        rounds_started=2,
        active_round=False,
        seconds_since_last_round=1e9,
    )
    assert d.detected and [c.model for c in d.crossings] == ["big"]
    assert d.next_round == 3


def test_cooldown_holds_the_next_round() -> None:
    spec = SaturationSpec(cooldown_seconds=600)
    d = decide(
        spec,
        solver=("s", HALF_SATURATED),
        rounds_started=1,
        active_round=False,
        seconds_since_last_round=60,
    )
    assert d.detected and not d.start_round and d.held_by == "cooldown"


def test_round_limit_holds_the_next_round() -> None:
    spec = SaturationSpec(max_rounds=2)
    d = decide(
        spec,
        solver=("s", HALF_SATURATED),
        rounds_started=2,
        active_round=False,
        seconds_since_last_round=None,
    )
    assert d.held_by == "maxRounds"


def test_at_most_one_active_round() -> None:
    d = decide(
        SaturationSpec(),
        solver=("s", HALF_SATURATED),
        rounds_started=1,
        active_round=True,
        seconds_since_last_round=None,
    )
    assert d.held_by == "activeRound" and not d.start_round


def test_too_few_hillclimbable_tasks_also_count_as_saturation() -> None:
    spec = SaturationSpec(solver_saturated_fraction=None, min_hillclimbable_fraction=0.9)
    d = decide(
        spec,
        solver=("s", MOSTLY_HILL),
        rounds_started=0,
        active_round=False,
        seconds_since_last_round=None,
    )
    assert d.detected and d.crossings[0].threshold == "minHillclimbableFraction"


def test_an_empty_slice_is_not_saturated() -> None:
    d = decide(
        SaturationSpec(),
        solver=("s", BandSummary()),
        rounds_started=0,
        active_round=False,
        seconds_since_last_round=None,
    )
    assert not d.detected


def _plan(**kw):  # type: ignore[no-untyped-def]
    from frontier.domain.saturation import plan_next_round

    base = dict(
        saturation=decide(
            SaturationSpec(),
            solver=None,
            rounds_started=0,
            active_round=False,
            seconds_since_last_round=None,
        ),
        slice_size=None,
        target_slice_size=150,
        rounds_started=0,
        active_round=False,
        seconds_since_last_round=None,
    )
    base.update(kw)
    return plan_next_round(SaturationSpec(max_rounds=3), **base)


def test_the_first_round_builds_the_initial_slice() -> None:
    plan = _plan()
    assert plan.start and plan.trigger == "InitialSlice" and plan.number == 1


def test_a_full_unsaturated_slice_needs_no_round() -> None:
    assert not _plan(slice_size=150, rounds_started=1).start


def test_a_short_slice_starts_another_round_until_the_limit() -> None:
    assert _plan(slice_size=40, rounds_started=1).trigger == "SliceBelowTarget"
    held = _plan(slice_size=40, rounds_started=3)
    assert not held.start and held.held_by == "maxRounds"


def test_saturation_takes_precedence_as_the_trigger() -> None:
    sat = decide(
        SaturationSpec(),
        solver=("s", HALF_SATURATED),
        rounds_started=1,
        active_round=False,
        seconds_since_last_round=None,
    )
    plan = _plan(saturation=sat, slice_size=150, rounds_started=1)
    assert plan.start and plan.trigger == "SaturationDetected" and plan.number == 2
