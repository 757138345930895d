"""A stored run's phase says whether it is finished, and its stats read back as they were stored."""

from __future__ import annotations

from typing import Any, get_args

from frontier.domain.bands import BandSummary
from frontier.domain.metrics import Interval, SetMetrics
from frontier.domain.runs import FINISHED_RUN_PHASES, RunStats, RunTotals, StoredRunPhase
from frontier.domain.status import RunPhase

TOTALS = RunTotals(
    rollouts=12,
    ok=10,
    errors=2,
    tasks=4,
    input_tokens=900,
    output_tokens=300,
    cost_usd=0.25,
    latency_seconds=7.5,
    errored_attempts=3,
    replayed=1,
    successes=6,
)


def _metrics() -> SetMetrics:
    def interval(x: float) -> Interval:
        return Interval(estimate=x, low=x - 0.1, high=x + 0.1)

    return SetMetrics(
        tasks=4,
        k=3,
        mean_reward=interval(0.5),
        pass_at_1=interval(0.4),
        pass_at_k=interval(0.7),
        pass_hat_k=interval(0.2),
        best_of_k=interval(0.8),
        errors=1,
    )


def test_only_succeeded_and_failed_runs_are_finished() -> None:
    assert {p for p in StoredRunPhase if p.finished} == FINISHED_RUN_PHASES
    assert {StoredRunPhase.SUCCEEDED, StoredRunPhase.FAILED} == FINISHED_RUN_PHASES
    assert not StoredRunPhase.PENDING.finished and not StoredRunPhase.RUNNING.finished


def test_stored_phase_strings_compare_equal_to_the_phases() -> None:
    assert StoredRunPhase("Succeeded") is StoredRunPhase.SUCCEEDED
    assert "Failed" in FINISHED_RUN_PHASES and "Running" not in FINISHED_RUN_PHASES


def test_every_stored_phase_is_also_a_phase_of_a_run_resource() -> None:
    assert set(StoredRunPhase) < set(get_args(RunPhase))  # the resource's adds Suspended


def test_a_finished_profile_run_writes_what_was_stored_before_and_reads_it_back() -> None:
    bands = BandSummary(saturated=1, hillclimbable=2, unreachable=3)
    stats = RunStats(bands=bands, totals=TOTALS)
    wire = stats.to_wire()
    assert wire == {"bands": bands.as_dict(), "totals": TOTALS.as_dict()}
    assert RunStats.from_wire(wire) == stats


def test_a_verdict_round_trips_and_always_states_its_metrics() -> None:
    bands = BandSummary(saturated=4)
    stats = RunStats(model="strong", bands=bands, metrics=_metrics())
    wire = stats.to_wire()
    assert wire == {"model": "strong", "bands": bands.as_dict(), "metrics": _metrics().as_dict()}
    assert RunStats.from_wire(wire) == stats
    empty = RunStats(model="strong", bands=BandSummary())
    assert empty.to_wire()["metrics"] is None
    assert RunStats.from_wire(empty.to_wire()) == empty


def test_a_failed_run_writes_only_its_reason_so_the_merge_keeps_the_rest() -> None:
    assert RunStats(reason="Job failed").to_wire() == {"reason": "Job failed"}
    merged = {**RunStats(bands=BandSummary(1, 1, 1)).to_wire(), "reason": "Job failed"}
    assert RunStats.from_wire(merged) == RunStats(bands=BandSummary(1, 1, 1), reason="Job failed")


def test_a_run_not_yet_finished_reads_as_empty_stats() -> None:
    assert RunStats.from_wire({}) == RunStats()
    assert RunStats().to_wire() == {}


def test_totals_stored_by_an_older_version_read_with_the_missing_keys_as_zero() -> None:
    old: dict[str, Any] = {
        "bands": {"saturated": 2, "hillclimbable": 1, "unreachable": 0},  # no total
        "totals": {"rollouts": 5, "ok": 4, "errors": 1, "tasks": 2, "inputTokens": 10},
        "someFutureKey": True,
    }
    stats = RunStats.from_wire(old)
    assert stats.bands == BandSummary(saturated=2, hillclimbable=1)
    assert stats.totals == RunTotals(rollouts=5, ok=4, errors=1, tasks=2, input_tokens=10)
    assert stats.totals is not None and stats.totals.attempted == 5
    assert stats.reason is None and stats.model is None and stats.metrics is None
