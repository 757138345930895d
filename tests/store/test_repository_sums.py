"""The per-(run, task) sums ingest keeps equal a full scan of the rollouts after any
sequence of ingests: replays, error -> ok, ok -> error and ok -> ok with a new reward,
through every write path (row upsert, straight COPY, COPY and upsert), on both backends.
"""

from __future__ import annotations

import itertools
import math
import threading
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from frontier.domain.bands import Band, band_of, summarize
from frontier.domain.specs import BandSpec
from frontier.domain.tasks import Rollout
from frontier.store import Store
from frontier.store import rollouts as rollouts_module
from frontier.store.queries import task_sums_select
from frontier.store.tables import rollout_sums
from tests.store.builders import error, ok, profile_run

_runs = itertools.count()
TASKS = ("t0", "t1", "t2", "t3")
REWARDS = (Fraction(0), Fraction(2, 100), Fraction(1, 3), Fraction(70, 100), Fraction(1))

# One attempt as written: (task, attempt, reward or None for an error, success).
writes = st.tuples(
    st.sampled_from(TASKS),
    st.integers(0, 3),
    st.one_of(st.none(), st.sampled_from(REWARDS)),
    st.booleans(),
)
batches = st.lists(st.lists(writes, min_size=1, max_size=8), min_size=1, max_size=6)


def _rollout(task_id: str, attempt: int, reward: Fraction | None, success: bool) -> Rollout:
    if reward is None:
        return error(task_id, attempt, input_tokens=3)
    return ok(task_id, attempt, float(reward), success=success)


def _stored_sums(store: Store, run: str) -> dict[str, tuple[int, int, int, float]]:
    with store._read() as conn:
        run_id, _ = store._run_id(conn, run)
        rows = conn.execute(select(rollout_sums).where(rollout_sums.c.run_id == run_id))
        return {r.task_id: (r.n_ok, r.n_error, r.successes, r.reward_sum) for r in rows}


def _scanned_sums(
    store: Store, run: str, tasks: tuple[str, ...] | list[str] = TASKS
) -> dict[str, tuple[int, int, int, float]]:
    """The same sums computed now from every stored rollout of the run's tasks."""
    with store._read() as conn:
        run_id, _ = store._run_id(conn, run)
        rows = conn.execute(task_sums_select(run_id, list(tasks)))
        return {
            r.task_id: (int(r.n_ok), int(r.n_error), int(r.successes), float(r.reward_sum))
            for r in rows
        }


def _assert_sums_equal_the_scan(store: Store, run: str, final: dict[Any, Rollout]) -> None:
    stored, scanned = _stored_sums(store, run), _scanned_sums(store, run)
    assert stored.keys() == scanned.keys() == {task for task, _ in final}
    for task_id, (n_ok, n_error, successes, reward_sum) in scanned.items():
        got = stored[task_id]
        assert got[:3] == (n_ok, n_error, successes)
        assert math.isclose(got[3], reward_sum, abs_tol=1e-12)
    # ... and both equal the last write of each attempt, with exact means for the bands
    bands = BandSpec()
    exact: dict[str, list[Fraction]] = {}
    for (task_id, _), r in final.items():
        rewards = exact.setdefault(task_id, [])
        if r.ok and r.reward is not None:
            rewards.append(Fraction(r.reward).limit_denominator(1000))
    expected = {
        t: band_of(float(sum(v, Fraction(0)) / len(v)), bands) for t, v in exact.items() if v
    }
    assert store.task_bands(run, bands) == dict(sorted(expected.items()))
    assert store.band_counts(run, bands) == summarize(expected.values())
    # the per-task means and metrics read the same sums
    means, metrics = store.task_means(run), store.task_metrics(run)
    assert list(means) == sorted(exact) and set(metrics) == {t for t, v in exact.items() if v}
    for task_id, rewards in exact.items():
        n_error = sum(1 for (t, _), r in final.items() if t == task_id) - len(rewards)
        mean = float(sum(rewards, Fraction(0)) / len(rewards)) if rewards else None
        got = means[task_id]
        assert (got.n_ok, got.n_error) == (len(rewards), n_error)
        if mean is None:
            assert got.mean_reward is None
            continue
        assert got.mean_reward == pytest.approx(mean, abs=1e-6)
        assert metrics[task_id].n == len(rewards) and metrics[task_id].errors == n_error
        assert metrics[task_id].mean_reward == got.mean_reward


@pytest.mark.parametrize("copy_at_least", [1, 10_000], ids=["copy", "rows"])
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sequence=batches)
def test_sums_equal_a_full_scan_after_any_sequence_of_ingests(
    store: Store,
    monkeypatch: pytest.MonkeyPatch,
    copy_at_least: int,
    sequence: list[list[tuple[str, int, Fraction | None, bool]]],
) -> None:
    # copy_at_least=1 sends every batch on PostgreSQL through COPY (straight into the
    # table for tasks never stored, else staged and upserted); 10,000 never does
    monkeypatch.setattr(rollouts_module, "_COPY_AT_LEAST", copy_at_least)
    run = profile_run(store, f"sums-{next(_runs)}").name
    final: dict[tuple[str, int], Rollout] = {}
    for batch in sequence:
        rollouts = [_rollout(*w) for w in batch]
        store.ingest_rollouts(run, rollouts)
        final.update(((r.task_id, r.attempt), r) for r in rollouts)
        _assert_sums_equal_the_scan(store, run, final)
    # replaying the whole history again changes nothing
    for batch in sequence:
        store.ingest_rollouts(run, [_rollout(*w) for w in batch])
    replayed: dict[tuple[str, int], Rollout] = {}
    for batch in sequence:
        replayed.update(((w[0], w[1]), _rollout(*w)) for w in batch)
    _assert_sums_equal_the_scan(store, run, replayed)


def test_an_errored_attempt_that_later_succeeds_counts_once_with_its_reward(store: Store) -> None:
    run = profile_run(store).name
    store.ingest_rollouts(run, [error("t", 0), ok("t", 1, 1.0)])
    assert _stored_sums(store, run) == {"t": (1, 1, 1, 1.0)}
    store.ingest_rollouts(run, [ok("t", 0, 0.5, success=False)])
    store.ingest_rollouts(run, [ok("t", 0, 0.5, success=False)])  # a replayed batch
    assert _stored_sums(store, run) == {"t": (2, 0, 1, 1.5)}
    store.ingest_rollouts(run, [ok("t", 1, 0.0)])  # ok -> ok with another reward
    assert _stored_sums(store, run) == {"t": (2, 0, 0, 0.5)}
    assert store.task_bands(run, BandSpec()) == {"t": Band.HILLCLIMBABLE}  # mean 0.25
    store.ingest_rollouts(run, [ok("t", 0, 0.0)])
    assert store.task_bands(run, BandSpec()) == {"t": Band.UNREACHABLE}


def test_sums_are_per_run(store: Store) -> None:
    a, b = profile_run(store, "a").name, profile_run(store, "b").name
    store.ingest_rollouts(a, [ok("t", 0, 1.0)])
    store.ingest_rollouts(b, [ok("t", 0, 0.0), ok("t", 1, 0.0)])
    assert _stored_sums(store, a) == {"t": (1, 0, 1, 1.0)}
    assert _stored_sums(store, b) == {"t": (2, 0, 0, 0.0)}


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_concurrent_writers_of_one_task_never_lose_each_others_rollouts(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two shards writing attempts of the same tasks at once: each recomputes the sums
    after the other's commit, never from a snapshot that misses the other's rows."""
    monkeypatch.setattr(rollouts_module, "_COPY_AT_LEAST", 1)
    run = profile_run(store).name
    tasks = [f"t{i}" for i in range(30)]
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def writer(attempt: int) -> None:
        try:
            start.wait()
            for step in range(10):
                reward = 1.0 if (attempt + step) % 2 else 0.0
                store.ingest_rollouts(run, [ok(t, attempt, reward) for t in tasks])
        except BaseException as exc:  # pragma: no cover - asserted below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(a,)) for a in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert _stored_sums(store, run) == _scanned_sums(store, run, tasks)
    assert {t: v[:2] for t, v in _stored_sums(store, run).items()} == {t: (2, 0) for t in tasks}


def test_sums_out_of_step_with_the_rollouts_are_recomputed_when_a_task_is_written_again(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A task whose sums row went missing looks never stored: on PostgreSQL its straight
    COPY meets the stored rows, is undone to its savepoint and redone as an upsert."""
    monkeypatch.setattr(rollouts_module, "_COPY_AT_LEAST", 1)
    run = profile_run(store).name
    store.ingest_rollouts(run, [ok("t", 0, 1.0), ok("t", 1, 0.0), ok("u", 0, 1.0)])
    with store._write() as conn:
        conn.execute(rollout_sums.delete().where(rollout_sums.c.task_id == "t"))
    store.ingest_rollouts(run, [ok("t", 0, 0.5, success=False)])
    assert _stored_sums(store, run) == {"t": (2, 0, 0, 0.5), "u": (1, 0, 1, 1.0)}
    assert store.count_rollouts(run) == 3
