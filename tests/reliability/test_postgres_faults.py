"""PostgreSQL going away while a worker writes: nothing lost, nothing duplicated.

A `frontier worker rollouts` subprocess profiles ShoppingBench tasks (an
openai-provider solver on the scripted server, playing a deterministic policy
with a short delay per reply, so every rollout is reproducible and the shard
pauses between its writes) into a fresh database
while the test breaks the database under it. The outcome is measured against
a fault-free run of the same shard: the stored (task, attempt, reward) rows
must be equal, with no duplicate keys.

Three kinds of fault:
- on the shared test server, `pg_terminate_backend` of the worker's idle
  pooled connections, again and again during the shard (what an idle-timeout
  proxy or a failover does to a pool); pool_pre_ping must replace them. The
  shared server itself is never restarted: other test runs use it meanwhile;
- on a private throwaway cluster (initdb in a temporary folder, its own port),
  the server stopped for a second and started again while the worker writes,
  and a longer outage after which the worker is run again;
- a connection attempt to a closed port, to pin down how the store classifies it.

Killing a connection in the middle of a write is left out of the suite on
purpose: whether the client then sees SQLSTATE 57P01 or a bare "server closed
the connection unexpectedly" (both retried, see tests/store/test_retry.py)
depends on timing, and a test that fails one run in three proves nothing.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from frontier.domain.specs import FrontierSpec, TaskSetRef
from frontier.pipeline.context import open_context
from frontier.pipeline.profile import run_shard
from frontier.store import Store
from tests.support.faults import (
    PostgresAdmin,
    PrivatePostgres,
    ShoppingSolver,
    Unavailable,
    free_port,
)
from tests.support.frontiers import scripted_model, small_document
from tests.support.openai_server import RecordedRequest, Reply, ScriptedOpenAIServer, ScriptItem

FRONTIER = "default/shop"
RUN = "default/profile"
PER_FAMILY = 20
WORKER = [sys.executable, "-m", "frontier.cli.main", "worker", "rollouts"]
TRANSIENT_FAILURE = 1  # frontier.cli.worker: the Job retries the index

Row = tuple[str, int, str, float | None]


class SlowSolver:
    """The scripted ShoppingBench solver, always on the first hit (the same reward for every
    attempt of a task, so runs compare row by row), answering after a short delay so that a
    shard takes long enough, with pauses between its writes, to be disturbed."""

    def __init__(self, delay: float = 0.01) -> None:
        self.solver = ShoppingSolver(spread=1)
        self.delay = delay

    def __call__(self, request: RecordedRequest) -> ScriptItem:
        item = self.solver(request)
        return dataclasses.replace(item, delay=self.delay) if isinstance(item, Reply) else item


@pytest.fixture(scope="module")
def model_url() -> Iterator[str]:
    with ScriptedOpenAIServer(handler=SlowSolver(), record_requests=False) as server:
        yield server.url


def spec_for(model_url: str) -> FrontierSpec:
    doc = small_document(per_family=PER_FAMILY)
    doc["spec"]["solver"] = scripted_model(model_url, concurrency=8)
    return FrontierSpec.model_validate(doc["spec"])


def prepare(dsn: str, model_url: str) -> Store:
    store = Store.connect(dsn, auto_upgrade=True)
    ctx = open_context(store, "shop", spec_for(model_url))
    store.create_run(
        ctx.run_key("profile"),
        frontier=ctx.frontier,
        kind="profile",
        model=ctx.spec.solver,
        task_set=TaskSetRef(kind="base"),
        k=4,
    )
    return store


def rows(store: Store) -> list[Row]:
    return [(r.task_id, r.attempt, r.status, r.reward) for r in store.rollouts_for(RUN)]


@pytest.fixture(scope="module")
def expected(tmp_path_factory: pytest.TempPathFactory, model_url: str) -> list[Row]:
    """The fault-free shard, run in process on SQLite."""
    store = prepare(f"sqlite:///{tmp_path_factory.mktemp('clean') / 'clean.db'}", model_url)
    ctx = open_context(store, "shop", spec_for(model_url))
    asyncio.run(run_shard(ctx, "profile"))
    found = rows(store)
    store.close()
    assert len(found) > 300 and all(status == "ok" for _, _, status, _ in found)
    return found


STARTED: list[subprocess.Popen[bytes]] = []


@pytest.fixture(autouse=True)
def no_worker_left_behind() -> Iterator[None]:
    """A test that fails half-way must not leave a worker writing into the next test."""
    yield
    while STARTED:
        proc = STARTED.pop()
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=30)


def worker(dsn: str) -> subprocess.Popen[bytes]:
    STARTED.append(proc := _start_worker(dsn))
    return proc


def _start_worker(dsn: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [*WORKER, "--frontier", FRONTIER, "--run", "profile"],
        env={**os.environ, "FRONTIER_DB": dsn},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def wait_for_rollouts(store: Store, proc: subprocess.Popen[bytes], at_least: int) -> int:
    deadline = time.monotonic() + 90
    while (stored := store.count_rollouts(RUN)) < at_least:
        assert proc.poll() is None, "the worker finished before the fault: " + stderr_of(proc)
        assert time.monotonic() < deadline, "the worker stored too little in 90 s"
        time.sleep(0.02)
    return stored


def stderr_of(proc: subprocess.Popen[bytes]) -> str:
    """Wait for the process, reading its output meanwhile; the tail of its stderr."""
    _, err = proc.communicate(timeout=120)
    return err.decode(errors="replace")[-3000:]


def assert_same_rollouts(store: Store, expected: list[Row]) -> None:
    stored = rows(store)
    keys = [(task, attempt) for task, attempt, _, _ in stored]
    assert len(keys) == len(set(keys)), "a (task, attempt) is stored twice"
    assert len(stored) == len(expected), f"{len(expected) - len(stored)} rollouts lost"
    assert stored == expected


# --- the shared server: connections terminated -------------------------------------------


def test_a_worker_whose_connections_are_terminated_mid_shard_loses_and_duplicates_nothing(
    admin: PostgresAdmin, expected: list[Row], model_url: str
) -> None:
    from sqlalchemy import create_engine, text

    with admin.scratch_database() as dsn:
        database = dsn.rsplit("/", 1)[-1]
        prepare(dsn, model_url).close()  # no pool left: every 'frontier' connection is the worker's
        probe = create_engine(dsn, connect_args={"application_name": "reliability-probe"})
        proc = worker(dsn)
        stored, terminated_mid_shard = 0, 0
        while proc.poll() is None:
            with probe.connect() as conn:
                now = conn.execute(text("SELECT count(*) FROM rollouts")).scalar_one()
            if stored < now < len(expected):  # a batch landed: close the pooled connection
                terminated_mid_shard += admin.terminate_backends(
                    database, idle_only=True, application="frontier"
                )
                stored = now
            time.sleep(0.01)
        probe.dispose()
        err = stderr_of(proc)
        assert proc.returncode == 0, err
        assert terminated_mid_shard >= 3, "the worker was hardly disturbed; the test proves little"
        store = Store.connect(dsn)
        assert_same_rollouts(store, expected)
        (shard,) = store.shards(FRONTIER, "rollouts", RUN)
        assert shard.status == "done" and shard.detail["errors"] == 0
        store.close()


# --- a private server: restarted, and stopped for a while ----------------------------------


@pytest.fixture(scope="module")
def private_postgres() -> Iterator[PrivatePostgres]:
    try:
        server = PrivatePostgres()
    except Unavailable as exc:
        pytest.skip(f"no private PostgreSQL cluster for the restart tests: {exc}")
    try:
        server.init().start()
        yield server
    finally:
        server.destroy()


def test_a_refused_connection_counts_as_transient() -> None:
    from sqlalchemy.exc import OperationalError

    from frontier.store.engine import make_engine
    from frontier.store.retry import is_transient

    closed = make_engine(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/none")
    with pytest.raises(OperationalError) as info, closed.connect():
        pass
    closed.dispose()
    assert is_transient(info.value)


def test_a_worker_rides_out_a_postgres_restart_without_being_rerun(
    private_postgres: PrivatePostgres, expected: list[Row], model_url: str
) -> None:
    dsn = private_postgres.create_database("restart_once")
    store = prepare(dsn, model_url)
    proc = worker(dsn)
    wait_for_rollouts(store, proc, 64)
    private_postgres.stop()
    time.sleep(1.0)  # down long enough for the worker's next write to meet it
    private_postgres.start()
    err = stderr_of(proc)
    assert proc.returncode == 0, err
    assert_same_rollouts(store, expected)
    store.close()


def test_after_a_postgres_outage_mid_shard_a_rerun_stores_exactly_the_fault_free_rollouts(
    private_postgres: PrivatePostgres, expected: list[Row], model_url: str
) -> None:
    dsn = private_postgres.create_database("outage")
    store = prepare(dsn, model_url)
    proc = worker(dsn)
    stored_before = wait_for_rollouts(store, proc, 64)
    private_postgres.stop()
    time.sleep(2.0)
    private_postgres.start()
    err = stderr_of(proc)
    # Died of it (as a transient failure, so the Job retries the index) or rode it out.
    assert proc.returncode in (0, TRANSIENT_FAILURE), err
    if proc.returncode != 0:
        assert "OperationalError" in err or "cannot reach database" in err, err
        stored_after_crash = store.count_rollouts(RUN)
        assert stored_before <= stored_after_crash < len(expected)
        rerun = worker(dsn)
        err = stderr_of(rerun)  # read as it runs: a long traceback must not fill the pipe
        assert rerun.returncode == 0, err
    assert_same_rollouts(store, expected)
    shards = store.shards(FRONTIER, "rollouts", RUN)
    assert [s.status for s in shards] == ["done"]
    store.close()


def test_a_worker_that_loses_its_database_mid_shard_says_so_in_one_line_and_a_rerun_loses_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, model_url: str, expected: list[Row]
) -> None:
    from sqlalchemy.exc import OperationalError
    from typer.testing import CliRunner

    from frontier.cli.main import app
    from frontier.domain.tasks import Rollout

    db = f"sqlite:///{tmp_path / 'f.db'}"
    store = prepare(db, model_url)
    ingest = Store._ingest_rollouts
    batches = 0

    def lost_after_the_first_batch(
        self: Store, run: str, rollouts: list[Rollout], *failed: list[Rollout]
    ) -> int:
        nonlocal batches
        batches += 1
        if batches > 1:  # what the store raises once its retries gave up
            raise OperationalError("INSERT", {}, Exception("server closed the connection"))
        return ingest(self, run, rollouts, *failed)

    monkeypatch.setattr(Store, "_ingest_rollouts", lost_after_the_first_batch)
    command = ["worker", "rollouts", "--frontier", FRONTIER, "--run", "profile", "--db", db]
    result = CliRunner().invoke(app, command)
    assert result.exit_code == TRANSIENT_FAILURE, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.stderr == (
        "error: the database failed: Exception: server closed the connection\n"
    )
    assert 0 < store.count_rollouts(RUN) < len(expected)

    monkeypatch.undo()  # the database is back: the Job runs the index again
    rerun = CliRunner().invoke(app, command)
    assert rerun.exit_code == 0, rerun.output
    assert_same_rollouts(store, expected)
    assert [s.status for s in store.shards(FRONTIER, "rollouts", RUN)] == ["done"]
    store.close()


def test_a_read_whose_connection_is_killed_after_the_pre_ping_is_retried(
    admin: PostgresAdmin, model_url: str
) -> None:
    from sqlalchemy import event

    with admin.scratch_database() as dsn:
        store = prepare(dsn, model_url)
        killed: list[int] = []

        @event.listens_for(store.engine, "before_cursor_execute")
        def kill_once(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
            if not killed and "FROM rollouts" in statement:
                killed.append(conn.connection.dbapi_connection.info.backend_pid)
                admin.terminate_pid(killed[0])

        try:
            assert store.rollouts_for(RUN) == []
            assert killed, "the read never reached the database"
        finally:
            store.close()
