from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from typer.testing import CliRunner

from frontier.cli.main import app
from frontier.domain.exits import BUDGET_STOP
from frontier.domain.specs import FrontierSpec, TaskSetRef
from frontier.pipeline.context import open_context, stored_context
from frontier.store import Store
from tests.pipeline.test_cost import rolled
from tests.support.frontiers import small_document

FRONTIER = "default/shop"


def prepare(db: str, run: str, shards: int = 1, **spec: object) -> Store:
    doc = small_document(per_family=1000, **spec)  # the whole dev sample: long to kill mid-shard
    store = Store.connect(db, auto_upgrade=True)
    ctx = open_context(store, "shop", FrontierSpec.model_validate(doc["spec"]))
    store.create_run(
        ctx.run_key(run),
        frontier=ctx.frontier,
        kind="profile",
        model=ctx.spec.solver,
        task_set=TaskSetRef(kind="base"),
        k=4,
        shards=shards,
    )
    return store


def worker(db: str, run: str, shard: int | None = None) -> subprocess.Popen[bytes]:
    env = {**os.environ, "FRONTIER_DB": db}
    if shard is not None:
        env["JOB_COMPLETION_INDEX"] = str(shard)
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "frontier.cli.main",
            "worker",
            "rollouts",
            "--frontier",
            FRONTIER,
            "--run",
            run,
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def finish(proc: subprocess.Popen[bytes]) -> None:
    _, err = proc.communicate(timeout=240)
    assert proc.returncode == 0, err.decode()


def test_a_worker_killed_with_sigkill_mid_shard_loses_and_duplicates_nothing(
    tmp_path: Path,
) -> None:
    clean_db = f"sqlite:///{tmp_path / 'clean.db'}"
    clean = prepare(clean_db, "profile")
    finish(worker(clean_db, "profile"))
    expected = [(r.task_id, r.attempt, r.reward) for r in clean.rollouts_for("default/profile")]

    db = f"sqlite:///{tmp_path / 'killed.db'}"
    store = prepare(db, "profile")
    proc = worker(db, "profile")
    deadline = time.monotonic() + 120
    while store.count_rollouts("default/profile") < 200 and time.monotonic() < deadline:
        assert proc.poll() is None, "the worker finished before it could be killed"
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    stored_at_kill = store.count_rollouts("default/profile")
    assert 0 < stored_at_kill < len(expected)

    finish(worker(db, "profile"))
    after = [(r.task_id, r.attempt, r.reward) for r in store.rollouts_for("default/profile")]
    assert len(after) == len(set((t, a) for t, a, _ in after)) == len(expected)
    assert after == expected


def test_an_indexed_job_shard_comes_from_job_completion_index(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'f.db'}"
    store = prepare(db, "split", shards=2)
    finish(worker(db, "split", shard=1))
    assert store.done_shards(FRONTIER, "rollouts", "default/split") == {1}


def test_a_shard_the_budget_stops_exits_4_and_leaves_the_stop_on_record(
    tmp_path: Path, runner: CliRunner
) -> None:
    db = f"sqlite:///{tmp_path / 'f.db'}"
    store = prepare(db, "capped", budget={"maxCostUsd": 1.0})
    ctx = stored_context(store, FRONTIER)
    rolled(ctx, "earlier", "profile", ctx.spec.solver.name, [1.0], 0.5)  # 0.5 per rollout
    args = ["worker", "rollouts", "--frontier", FRONTIER, "--run", "capped", "--db", db]
    result = runner.invoke(app, args)
    assert result.exit_code == BUDGET_STOP, result.output
    assert "budget.maxCostUsd (1.0000 USD) would be crossed" in result.output
    assert store.count_rollouts(ctx.run_key("capped")) == 0  # stopped before its first wave
    (event,) = store.events(FRONTIER, reason="BudgetReached")
    assert event.data["budget"]["maxCostUsd"] == 1.0
