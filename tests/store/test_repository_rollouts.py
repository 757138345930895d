"""Rollouts: keyed by (run, task, attempt); re-ingesting overwrites, the last one wins."""

from __future__ import annotations

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from frontier.store import Store, StoreError
from frontier.store.models import RolloutRow
from tests.store.builders import error, ok, profile_run, task


def _row_count(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(RolloutRow)).scalar_one())


def test_ingested_rollouts_come_back_equal_ordered_by_task_and_attempt(store: Store) -> None:
    run = profile_run(store)
    rollouts = [
        ok("b", 1, 0.25, input_tokens=10, output_tokens=3, cost_usd=0.5, latency_seconds=1.5),
        ok("a", 0, 1.0, trace={"steps": [{"tool": "find_product", "args": {"q": "x"}}]}),
        error("a", 1, "HTTP 503 from endpoint"),
        ok("b", 0, 0.0),
    ]
    assert store.ingest_rollouts(run.name, rollouts) == 4
    back = store.rollouts_for(run.name)
    assert [(r.task_id, r.attempt) for r in back] == [("a", 0), ("a", 1), ("b", 0), ("b", 1)]
    assert {(r.task_id, r.attempt): r for r in back} == {
        (r.task_id, r.attempt): r for r in rollouts
    }


def test_reingesting_the_same_rollouts_adds_no_rows(store: Store) -> None:
    run = profile_run(store)
    batch = [ok("t", a, 0.5) for a in range(4)]
    store.ingest_rollouts(run.name, batch)
    store.ingest_rollouts(run.name, batch)
    assert store.count_rollouts(run.name) == 4
    assert _row_count(store) == 4


def test_a_retried_attempt_overwrites_the_stored_one(store: Store) -> None:
    run = profile_run(store)
    store.ingest_rollouts(run.name, [error("t", 0), ok("t", 1, 0.2)])
    store.ingest_rollouts(run.name, [ok("t", 0, 0.9, success=True)])
    back = {r.attempt: r for r in store.rollouts_for(run.name)}
    assert back[0].status == "ok" and back[0].reward == 0.9 and back[0].error is None
    assert back[1].reward == 0.2
    assert store.count_rollouts(run.name) == 2


def test_within_one_batch_the_last_rollout_of_an_attempt_wins(store: Store) -> None:
    run = profile_run(store)
    assert store.ingest_rollouts(run.name, [ok("t", 0, 0.1), ok("t", 0, 0.3), ok("t", 0, 0.7)]) == 1
    (only,) = store.rollouts_for(run.name)
    assert only.reward == 0.7


def test_the_same_task_and_attempt_in_two_runs_are_two_rows(store: Store) -> None:
    a = profile_run(store, "run-a")
    b = profile_run(store, "run-b")
    store.ingest_rollouts(a.name, [ok("t", 0, 0.1)])
    store.ingest_rollouts(b.name, [ok("t", 0, 0.9)])
    assert store.rollouts_for(a.name)[0].reward == 0.1
    assert store.rollouts_for(b.name)[0].reward == 0.9
    assert _row_count(store) == 2


def test_rollouts_filter_by_task_and_status(store: Store) -> None:
    run = profile_run(store)
    store.ingest_rollouts(run.name, [ok("a", 0, 0.1), error("a", 1), ok("b", 0, 0.2)])
    assert [r.attempt for r in store.rollouts_for(run.name, ["a"])] == [0, 1]
    assert [r.task_id for r in store.rollouts_for(run.name, status="error")] == ["a"]
    assert store.count_rollouts(run.name, status="ok") == 2
    assert store.rollouts_for(run.name, []) == []


def test_done_attempts_lists_stored_pairs_and_can_leave_errors_for_a_retry(store: Store) -> None:
    run = profile_run(store)
    store.ingest_rollouts(run.name, [ok("a", 0, 0.1), error("a", 1), ok("b", 0, 0.2)])
    assert store.done_attempts(run.name) == {("a", 0), ("a", 1), ("b", 0)}
    assert store.done_attempts(run.name, include_errors=False) == {("a", 0), ("b", 0)}
    assert store.done_attempts(run.name, ["b", "c"]) == {("b", 0)}


def test_run_totals_sum_tokens_cost_and_latency_and_count_errors(store: Store) -> None:
    run = profile_run(store)
    store.ingest_rollouts(
        run.name,
        [
            ok("a", 0, 0.5, input_tokens=100, output_tokens=10, cost_usd=0.25, latency_seconds=2),
            error("a", 1, input_tokens=50, cost_usd=0.125, latency_seconds=30),
            ok("b", 0, 1.0, input_tokens=1, output_tokens=1, latency_seconds=0.5),
        ],
    )
    totals = store.run_totals(run.name)
    assert (totals.rollouts, totals.ok, totals.errors, totals.tasks) == (3, 2, 1, 2)
    assert (totals.input_tokens, totals.output_tokens) == (151, 11)
    assert totals.cost_usd == pytest.approx(0.375)
    assert totals.latency_seconds == pytest.approx(32.5)
    assert totals.as_dict()["inputTokens"] == 151


def test_an_empty_run_has_zero_totals(store: Store) -> None:
    run = profile_run(store)
    totals = store.run_totals(run.name)
    assert (totals.rollouts, totals.ok, totals.errors, totals.cost_usd) == (0, 0, 0, 0.0)
    assert store.ingest_rollouts(run.name, []) == 0


def test_an_error_rollout_keeps_no_reward(store: Store) -> None:
    run = profile_run(store)
    store.ingest_rollouts(run.name, [error("t", 0, "timeout")])
    (back,) = store.rollouts_for(run.name)
    assert back.status == "error" and back.reward is None and back.error == "timeout"


@pytest.mark.slow
def test_bulk_ingest_of_20k_rollouts_stores_each_once(store: Store) -> None:
    run = profile_run(store, k=4)
    tasks = [task() for _ in range(5_000)]
    batch = [
        ok(t.id, a, (i % 11) / 10, trace={"steps": [i, a]}) if (i + a) % 17 else error(t.id, a)
        for i, t in enumerate(tasks)
        for a in range(4)
    ]
    assert store.ingest_rollouts(run.name, batch) == 20_000
    assert store.ingest_rollouts(run.name, iter(batch)) == 20_000
    assert _row_count(store) == 20_000
    errors = sum(1 for r in batch if r.status == "error")
    totals = store.run_totals(run.name)
    assert (totals.rollouts, totals.errors, totals.tasks) == (20_000, errors, 5_000)
    assert len(store.done_attempts(run.name, [t.id for t in tasks])) == 20_000
    assert len(store.rollouts_for(run.name, [t.id for t in tasks[:6_000]])) == 20_000


def test_an_error_message_with_a_nul_character_is_stored_escaped(store: Store) -> None:
    run = profile_run(store)
    store.ingest_rollouts(run.name, [error("t", 0, "bad byte \x00 in response")])
    (back,) = store.rollouts_for(run.name)
    assert back.error == "bad byte \\x00 in response"


def test_the_schema_itself_refuses_a_second_row_for_a_run_task_and_attempt(store: Store) -> None:
    run = profile_run(store)
    store.ingest_rollouts(run.name, [ok("t", 0, 0.5)])
    with store.engine.connect() as conn:
        row = dict(conn.execute(select(RolloutRow.__table__)).mappings().one())
    with pytest.raises(IntegrityError), store.engine.begin() as conn:
        conn.execute(insert(RolloutRow).values(**{**row, "reward": 0.9}))
    assert store.rollouts_for(run.name)[0].reward == 0.5


def test_a_batch_with_one_bad_rollout_stores_none_of_it(store: Store) -> None:
    run = profile_run(store)
    batch = [ok(f"t{i}", 0, 0.5) for i in range(100)] + [ok("x" * 65, 0, 0.5)]
    with pytest.raises(StoreError, match=r"rollouts\.task_id holds at most 64"):
        store.ingest_rollouts(run.name, batch)
    assert store.count_rollouts(run.name) == 0


def test_a_large_batch_overwrites_retried_attempts_and_redacts_traces_like_a_small_one(
    store: Store,
) -> None:
    # 300 rollouts take the bulk path on PostgreSQL (COPY and one upsert).
    run = profile_run(store)
    key = "sk-proj-PLANTEDbulkKEY0123456789abcdef"
    first = [error(f"t{i}", 0) for i in range(150)] + [ok(f"t{i}", 1, 0.2) for i in range(150)]
    store.ingest_rollouts(run.name, first)
    again = [
        ok(f"t{i}", 0, 0.9, success=True, trace={"messages": [{"content": f"key {key}"}]})
        for i in range(300)
    ]
    assert store.ingest_rollouts(run.name, again) == 300
    back = {(r.task_id, r.attempt): r for r in store.rollouts_for(run.name)}
    assert len(back) == 450 == store.count_rollouts(run.name)
    assert all(back[(f"t{i}", 0)].reward == 0.9 for i in range(300))
    assert all(back[(f"t{i}", 0)].error is None for i in range(150))
    assert all(back[(f"t{i}", 1)].reward == 0.2 for i in range(150))
    assert key not in str([r.trace for r in back.values()])
    assert "messages" in back[("t0", 0)].trace


def test_an_errored_attempt_stays_on_record_with_its_tokens_when_a_later_wave_replays_it(
    store: Store,
) -> None:
    run = profile_run(store)
    store.ingest_rollouts(
        run.name,
        [ok("t", 0, 0.5, input_tokens=100), error("t", 1, "HTTP 503", input_tokens=40)],
    )
    # the next wave replays attempt 1: it fails once more, then succeeds
    store.ingest_rollouts(run.name, [error("t", 1, "timeout", input_tokens=30, cost_usd=0.5)])
    store.ingest_rollouts(run.name, [ok("t", 1, 1.0, input_tokens=20)])
    totals = store.run_totals(run.name)
    assert (totals.rollouts, totals.ok, totals.errors) == (2, 2, 0)
    assert (totals.attempted, totals.errored_attempts, totals.replayed) == (4, 2, 2)
    assert totals.input_tokens == 100 + 40 + 30 + 20
    assert totals.cost_usd == pytest.approx(0.5)
    assert totals.as_dict()["erroredAttempts"] == 2


def test_an_attempt_still_failing_counts_once_as_an_error_and_its_earlier_tries_as_replayed(
    store: Store,
) -> None:
    run = profile_run(store)
    store.ingest_rollouts(run.name, [error("t", 0, "HTTP 500", input_tokens=7)])
    store.ingest_rollouts(run.name, [error("t", 0, "HTTP 502", input_tokens=5)])
    totals = store.run_totals(run.name)
    assert (totals.rollouts, totals.errors, totals.errored_attempts, totals.replayed) == (
        1,
        1,
        2,
        1,
    )
    assert totals.input_tokens == 12


def test_an_errored_attempt_replayed_in_the_same_batch_is_still_on_record(store: Store) -> None:
    run = profile_run(store)
    store.ingest_rollouts(run.name, [error("t", 0, "HTTP 503"), ok("t", 0, 0.5)])
    totals = store.run_totals(run.name)
    assert (totals.rollouts, totals.errored_attempts, totals.replayed) == (1, 1, 1)


def test_the_same_failure_sent_twice_is_recorded_once(store: Store) -> None:
    run = profile_run(store)
    batch = [error("t", 0, "HTTP 503", latency_seconds=1.25)]
    store.ingest_rollouts(run.name, batch)
    store.ingest_rollouts(run.name, batch)
    assert store.run_totals(run.name).errored_attempts == 1
