from __future__ import annotations

import multiprocessing
import os
import random
import signal
import time
from collections import Counter
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from frontier.cli.main import app
from frontier.domain.specs import FrontierSpec
from frontier.store import Store
from tests.cli.conftest import write_manifest
from tests.local.test_runner import snapshot
from tests.support.frontiers import small_document

FRONTIER = "default/shoppingbench-dev"
KILLS = 2
SEED = 20240611


def frontier(*args: str) -> None:
    """The `frontier` command line, as its console script runs it."""
    app(list(args), prog_name="frontier")


# Each run is its own process, forked from a server that imported the CLI once: starting
# Python and importing the CLI afresh four times would take most of this test's time.
PROCESSES = multiprocessing.get_context("forkserver")
PROCESSES.set_forkserver_preload([__name__])


def start(manifest: Path, db: str) -> BaseProcess:
    proc = PROCESSES.Process(target=frontier, args=("run", "-f", str(manifest), "--db", db))
    proc.start()
    return proc


def outcome(store: Store, spec: FrontierSpec) -> dict[str, Any]:
    """What a run decided, down to each rollout; the store's own clocks and ids left out."""
    runs = store.runs(FRONTIER)
    for run in runs:
        keys = [(r.task_id, r.attempt) for r in store.rollouts_for(run.name)]
        assert len(keys) == len(set(keys)), f"{run.name} has duplicate rollouts"
    return {
        **snapshot(store, FRONTIER),
        "runs": sorted((r.name, r.kind, r.phase) for r in runs),
        "rollout counts": {r.name: store.count_rollouts(r.name) for r in runs},
        "bands": {r.name: store.band_counts(r.name, spec.bands).as_dict() for r in runs},
        "candidates by decision": Counter(
            (c.decision, c.reason) for c in store.candidates(FRONTIER)
        ),
        "candidate details": sorted(
            (c.round, c.task_id, c.parent_id, c.motif, c.mean_reward, c.rollouts_spent)
            for c in store.candidates(FRONTIER)
        ),
        "round counts": [
            store.candidate_counts(FRONTIER, round=r.number).as_dict()
            for r in store.rounds(FRONTIER)
        ],
    }


def started_work(db: Path) -> bool:
    """Whether the loop has stored its first run, so a kill lands in the loop, not in imports."""
    if not db.exists():
        return False
    try:
        store = Store.connect(f"sqlite:///{db}")
    except Exception:
        return False
    try:
        return bool(store.runs(FRONTIER))
    except Exception:
        return False
    finally:
        store.close()


def kill_each_after(procs: list[BaseProcess], dbs: list[Path], delays: list[float]) -> None:
    """SIGKILL each run `delay` seconds after its loop began; they run side by side to save time."""
    began: dict[int, float] = {}
    killed: set[int] = set()
    deadline = time.monotonic() + 120
    while any(p.exitcode is None for p in procs):
        assert time.monotonic() < deadline, "the runs were not killed in time"
        time.sleep(0.05)
        for i, (proc, db, delay) in enumerate(zip(procs, dbs, delays, strict=True)):
            if i in killed:
                continue
            assert proc.is_alive(), f"run {i} ended before its kill {delay:.2f}s into the loop"
            if i not in began:
                if started_work(db):
                    began[i] = time.monotonic()
            elif time.monotonic() - began[i] >= delay:
                assert proc.pid is not None
                os.kill(proc.pid, signal.SIGKILL)
                proc.join(timeout=30)
                assert proc.exitcode == -signal.SIGKILL
                killed.add(i)


@pytest.mark.slow
def test_a_run_killed_at_random_points_and_started_again_ends_as_an_uninterrupted_one(
    runner: CliRunner, tmp_path: Path
) -> None:
    """SIGKILL gives no chance to clean up: whatever was committed must be resumed exactly."""
    doc = small_document(stop={"maxRounds": 1})
    spec = FrontierSpec.model_validate(doc["spec"])
    manifest = write_manifest(tmp_path, doc)
    clean_db = f"sqlite:///{tmp_path / 'clean.db'}"
    began = time.monotonic()
    reference = runner.invoke(app, ["run", "-f", str(manifest), "--db", clean_db])
    duration = time.monotonic() - began
    assert reference.exit_code == 0, reference.output
    expected = outcome(Store.connect(clean_db), spec)
    assert expected["slices"] and expected["candidates"], "nothing to compare: too small a run"

    draws = random.Random(SEED)
    delays = [draws.uniform(0.05, 0.75) * duration for _ in range(KILLS)]
    dbs = [tmp_path / f"killed-{i}.db" for i in range(KILLS)]
    kill_each_after([start(manifest, f"sqlite:///{db}") for db in dbs], dbs, delays)

    restarted = [start(manifest, f"sqlite:///{db}") for db in dbs]
    for db, delay, proc in zip(dbs, delays, restarted, strict=True):
        proc.join(timeout=120)
        assert proc.exitcode == 0, f"the restart after a kill {delay:.2f}s in failed"
        resumed = outcome(Store.connect(f"sqlite:///{db}"), spec)
        assert resumed == expected, f"killed {delay:.2f}s into the loop"
