"""Messages quote paths, names and exception text exactly: brackets are not rich markup."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from frontier.cli.main import app
from frontier.store import Store
from tests.cli.conftest import write_manifest
from tests.support.frontiers import small_document

BRACKETED = ["[/x]/*.jsonl", "[red]x/*.jsonl", "[redacted]/*.jsonl", ":warning:/*.jsonl"]


@pytest.mark.parametrize("pattern", BRACKETED)
def test_run_quotes_a_bracketed_task_path_back_exactly_and_exits_2(
    runner: CliRunner, tmp_path: Path, pattern: str
) -> None:
    doc = small_document()
    doc["spec"]["benchmark"]["source"]["paths"] = [pattern]
    manifest = write_manifest(tmp_path, doc)
    result = runner.invoke(app, ["run", "-f", str(manifest), "--db", "sqlite://"])
    assert result.exit_code == 2, result.output
    assert result.stderr == (
        f"error: spec.benchmark.source.paths[0]: '{pattern}' matches no file "
        f"(relative paths resolve against {manifest.resolve().parent})\n"
    )


def test_a_worker_names_a_bracketed_frontier_exactly_and_exits_3(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'f.db'}"
    Store.connect(db, auto_upgrade=True).close()
    # a subprocess, as a Job runs it: the real entry point and its real exit code
    command = ["worker", "mutate", "--frontier", "[/x]/[red]shop", "--round", "1", "--db", db]
    done = subprocess.run(
        [sys.executable, "-m", "frontier.cli.main", *command],
        env={**os.environ, "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 3, done.stderr
    assert done.stderr == "error: no frontier '[/x]/[red]shop' in the store\n"


def test_a_bracketed_frontier_name_is_refused_quoted_as_is_and_a_failed_report_too(
    runner: CliRunner, tmp_path: Path
) -> None:
    doc = small_document(stop={"maxRounds": 1})
    doc["metadata"]["name"] = "[red]shop[/]"
    refused = runner.invoke(
        app, ["run", "-f", str(write_manifest(tmp_path, doc)), "--db", "sqlite://"]
    )
    assert refused.exit_code == 2, refused.output
    assert "got '[red]shop[/]'" in refused.stderr  # markup printed, not interpreted

    doc["metadata"]["name"] = "shop"
    db = f"sqlite:///{tmp_path / 'f.db'}"
    ran = runner.invoke(app, ["run", "-f", str(write_manifest(tmp_path, doc)), "--db", db])
    assert ran.exit_code == 0, ran.output
    blocker = tmp_path / "[redacted]"
    blocker.write_text("a file where the report's folder should be")
    target = blocker / "report.html"
    report = runner.invoke(app, ["report", "--db", db, "-o", str(target)])
    assert report.exit_code == 2, report.output
    assert report.stderr == f"error: cannot write {target}: File exists\n"
