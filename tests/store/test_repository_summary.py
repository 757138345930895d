"""The summary `frontier status` shows, read in one go."""

from __future__ import annotations

from frontier.domain.admission import Decision, Reason
from frontier.store import CandidateOutcome, Store
from tests.store.builders import FRONTIER, child, error, ok, profile_run, task


def test_summary_of_a_frontier_with_runs_rounds_slices_and_events(store: Store) -> None:
    store.upsert_frontier(FRONTIER, {"bands": {"unreachableAtMost": 0.1, "saturatedAbove": 0.5}})
    run = profile_run(store)
    base = [task() for _ in range(3)]
    kid = child(base[0])
    store.add_tasks(FRONTIER, [*base, kid])
    store.ingest_rollouts(
        run.name,
        [ok(base[0].id, 0, 0.05), ok(base[1].id, 0, 0.3), ok(base[2].id, 0, 0.6), error("x", 0)],
    )
    empty = profile_run(store, "empty-run")
    store.start_round(FRONTIER, 1, trigger="initial")
    store.record_candidates(FRONTIER, 1, [kid])
    store.decide_candidates(
        FRONTIER, 1, [CandidateOutcome(kid.id, Decision.reject(Reason.SATURATED), 0.9, 4)]
    )
    store.publish_slice(FRONTIER, 1, [base[1].id])
    for i in range(12):
        store.add_event(FRONTIER, "Tick", f"event {i}")

    summary = store.summary(FRONTIER, recent_events=3)

    assert summary.tasks_by_origin == {"base": 3, "procedural": 1}
    by_name = {r.name: r for r in summary.runs}
    assert by_name[run.name].bands == {"unreachable": 1, "hillclimbable": 1, "saturated": 1}
    assert by_name[run.name].totals.errors == 1
    assert by_name[empty.name].bands is None
    assert [r.number for r in summary.rounds] == [1]
    assert summary.slices == [(1, 1)]
    assert summary.candidates.by_reason == {"saturated": 1}
    assert [e.message for e in summary.recent_events] == ["event 9", "event 10", "event 11"]
    wire = summary.as_dict()
    assert wire["frontier"] == FRONTIER
    assert wire["slices"] == [{"version": 1, "size": 1}]
    assert wire["candidates"]["rejected"] == 1


def test_summary_uses_default_bands_when_the_spec_has_none(store: Store) -> None:
    run = profile_run(store)
    store.ingest_rollouts(run.name, [ok("t", 0, 0.70), ok("u", 0, 0.71)])
    (summary_run,) = store.summary(FRONTIER).runs
    assert summary_run.bands == {"unreachable": 0, "hillclimbable": 1, "saturated": 1}
