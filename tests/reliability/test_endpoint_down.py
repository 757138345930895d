"""A solver endpoint that stays down fails the run loudly; once it is back, the run resumes.

Never an empty success: a run whose rollouts all end in harness errors used to
finish with empty bands, publish an empty slice and exit 0.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from frontier.cli.main import app
from frontier.local.runner import load_manifest, run_loop
from frontier.pipeline.profile import RunFailedError
from frontier.store import Store
from tests.support.faults import ShoppingSolver
from tests.support.frontiers import scripted_model, small_document
from tests.support.openai_server import RecordedRequest, ScriptedOpenAIServer, ScriptItem, Status

FRONTIER = "default/shoppingbench-dev"


class Outage:
    """HTTP 503 for every request until `fixed`, then a working solver."""

    def __init__(self) -> None:
        self.fixed = False
        self.solver = ShoppingSolver()

    def __call__(self, request: RecordedRequest) -> ScriptItem:
        if not self.fixed:
            return Status(503, message="upstream is down")
        return self.solver(request)


def manifest(tmp_path: Path, url: str, **overrides: Any) -> Path:
    doc = small_document(per_family=2, stop={"maxRounds": 1}, **overrides)
    doc["spec"]["solver"] = scripted_model(url, maxRetries=0, timeoutSeconds=5, concurrency=8)
    doc["spec"]["verifiers"] = []
    path = tmp_path / "frontier.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


async def test_a_run_against_a_solver_that_is_down_fails_then_resumes_when_it_is_back(
    tmp_path: Path,
) -> None:
    outage = Outage()
    store = Store.connect(f"sqlite:///{tmp_path / 'f.db'}", auto_upgrade=True)
    with ScriptedOpenAIServer(handler=outage) as server:
        resource = load_manifest(manifest(tmp_path, server.url))
        with pytest.raises(RunFailedError) as failed:
            await run_loop(store, resource, base_dir=tmp_path)
        message = str(failed.value)
        assert "32 of 32 rollouts ended in a harness error" in message
        assert server.url in message and "503" in message
        assert "\n" not in message
        assert store.slice_versions(FRONTIER) == [] and store.rounds(FRONTIER) == []
        [base] = store.runs(FRONTIER)
        assert base.phase != "Succeeded"

        outage.fixed = True
        result = await run_loop(store, resource, base_dir=tmp_path)
    assert result.bands_before.total == 8
    [base] = [r for r in store.runs(FRONTIER) if r.kind == "profile"]
    assert base.phase == "Succeeded"
    assert base.stats["totals"]["errors"] == 0


async def test_errors_under_the_stated_share_leave_the_run_to_finish(tmp_path: Path) -> None:
    outage = Outage()
    store = Store.connect(f"sqlite:///{tmp_path / 'f.db'}", auto_upgrade=True)
    with ScriptedOpenAIServer(handler=outage) as server:
        resource = load_manifest(manifest(tmp_path, server.url, failure={"maxErroredShare": 1.0}))
        result = await run_loop(store, resource, base_dir=tmp_path)
    assert result.bands_before.total == 0


def test_the_cli_exits_2_with_one_line_naming_the_endpoint(tmp_path: Path) -> None:
    path = manifest(tmp_path, "http://127.0.0.1:9/v1")
    result = CliRunner().invoke(
        app, ["run", "-f", str(path), "--db", f"sqlite:///{tmp_path / 'f.db'}"]
    )
    assert result.exit_code == 2, result.output
    [line] = [x for x in result.stderr.splitlines() if x.strip()]
    assert line.startswith("error: run ") and "http://127.0.0.1:9/v1" in line
    assert "maxErroredShare" in line
