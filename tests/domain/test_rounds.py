"""A round's recorded phase names its next step, and its stats read back as they were stored."""

from __future__ import annotations

import pytest

from frontier.domain.rounds import (
    RoundPhase,
    RoundStats,
    RoundStep,
    needs_verification,
    next_step,
    slice_published_message,
)


@pytest.mark.parametrize(
    ("phase", "step"),
    [
        ("Pending", RoundStep.MUTATE),
        ("Running", RoundStep.MUTATE),
        ("Mutating", RoundStep.MUTATE),
        ("Admitting", RoundStep.ROLL_OUT),
        ("Verifying", RoundStep.VERIFY),
        ("Succeeded", RoundStep.DONE),
        ("Failed", RoundStep.DONE),
    ],
)
def test_each_recorded_phase_names_the_step_a_round_takes_next(phase: str, step: RoundStep) -> None:
    assert next_step(phase) is step


def test_a_phase_no_round_has_is_an_error_not_a_guess() -> None:
    with pytest.raises(ValueError, match="Admitted"):
        next_step("Admitted")


def test_only_the_two_end_phases_are_finished() -> None:
    assert {p for p in RoundPhase if p.finished} == {RoundPhase.SUCCEEDED, RoundPhase.FAILED}
    assert RoundPhase.VERIFYING == "Verifying"  # stored strings compare equal


def test_stats_read_back_as_stored_and_a_round_not_yet_admitted_reads_as_zero() -> None:
    stats = RoundStats(
        generated=8, admitted=2, rejected=6, by_reason={"saturated": 6}, rollouts_spent=30,
        slice_version=3,
    )  # fmt: skip
    wire = stats.to_wire()
    assert wire["admissionYield"] == 0.25 and "reason" not in wire
    assert RoundStats.from_wire(wire) == stats
    assert RoundStats.from_wire({}) == RoundStats()
    assert RoundStats.from_wire({"reason": "teacher Job failed"}).reason == "teacher Job failed"


def test_both_drivers_say_a_round_finished_and_a_slice_was_published_in_the_same_words() -> None:
    stats = RoundStats(generated=8, admitted=2, slice_version=3)
    assert stats.finished_message(2) == "round 2: 2 of 8 candidates admitted (25.0%); slice v3"
    assert slice_published_message(3, 20, 2, 1) == "slice v3: 20 tasks (2 added, 1 dropped)"


def test_a_slice_is_verified_only_when_there_are_verifiers_and_tasks() -> None:
    assert needs_verification(2, 10)
    assert not needs_verification(0, 10)
    assert not needs_verification(2, 0)
