from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from frontier.store import Store
from tests.cli.conftest import write_manifest
from tests.local.test_runner import snapshot
from tests.support.frontiers import small_document

FRONTIER = "default/shoppingbench-dev"


def run(manifest: Path, db: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "frontier.cli.main", "run", "-f", str(manifest), "--db", db],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )


def test_a_terminated_run_stops_cleanly_and_the_same_command_resumes_it(tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path, small_document(per_family=25, stop={"maxRounds": 2}))
    clean_db = f"sqlite:///{tmp_path / 'clean.db'}"
    assert run(manifest, clean_db).wait(timeout=240) == 0

    db = f"sqlite:///{tmp_path / 'stopped.db'}"
    proc = run(manifest, db)
    deadline = time.monotonic() + 120
    store: Store | None = None
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
        try:
            store = store or Store.connect(db)
            runs = store.runs(FRONTIER)
        except Exception:
            continue
        if runs and store.count_rollouts(runs[0].name) > 40:
            proc.send_signal(signal.SIGTERM)
            break
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted: run the same command again to resume" in out
    assert "Traceback" not in err

    assert run(manifest, db).wait(timeout=240) == 0
    assert store is not None
    assert snapshot(store, FRONTIER) == snapshot(Store.connect(clean_db), FRONTIER)
