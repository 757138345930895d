"""`frontier place` puts a new model on the item bank with a few adaptive tasks and says
where it landed; a model it cannot name or a frontier with no bank is a clear error."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from frontier.cli.main import app
from frontier.store import Store
from tests.cli.conftest import write_manifest
from tests.support.frontiers import small_document

FRONTIER = "default/shoppingbench-dev"
NEWCOMER = "{name: newcomer, provider: heuristic, skill: 0.5}"


def test_place_prints_theta_the_forecast_per_slice_and_the_tasks_asked(
    runner: CliRunner, calibrated_db: str
) -> None:
    placed = runner.invoke(
        app, ["place", "--model", NEWCOMER, "--max-items", "4", "--k", "2", "--db", calibrated_db]
    )
    assert placed.exit_code == 0, placed.output
    text = " ".join(placed.stdout.split())
    latest = Store.connect(calibrated_db).calibration(FRONTIER)
    assert latest is not None
    assert "newcomer: θ" in text and f"(calibration v{latest.version})" in text
    assert "expected pass@1" in text and "asked (in order):" in text
    run = next(r for r in Store.connect(calibrated_db).runs(FRONTIER, kind="placement"))
    assert run.model_name == "newcomer" and run.phase == "Succeeded" and run.k == 2


def test_place_as_json_reports_the_stored_placement(runner: CliRunner, calibrated_db: str) -> None:
    args = ["place", "-m", "ladder-high", "--max-items", "3", "--json", "--db", calibrated_db]
    placed = runner.invoke(app, args)
    assert placed.exit_code == 0, placed.output
    document = json.loads(placed.stdout)
    store = Store.connect(calibrated_db)
    [run] = store.runs(FRONTIER, kind="placement")
    assert document["model"] == "ladder-high" and document["sliceVersion"] == 1
    assert document == {"sliceVersion": 1, **run.stats["placement"]}
    assert 1 <= len(document["items"]) <= 3
    assert [s["version"] for s in document["slices"]] == store.slice_versions(FRONTIER)


def test_a_model_the_frontier_does_not_name_lists_the_ones_it_does(
    runner: CliRunner, calibrated_db: str
) -> None:
    placed = runner.invoke(app, ["place", "--model", "gpt-9", "--db", calibrated_db])
    assert placed.exit_code == 2
    said = " ".join(placed.output.split())
    assert "'gpt-9' is not a model of this frontier" in said and "ladder-high" in said


def test_an_inline_model_with_a_bad_field_names_the_field(
    runner: CliRunner, calibrated_db: str
) -> None:
    placed = runner.invoke(
        app, ["place", "--model", "{name: x, provider: heuristic, skill: 2}", "--db", calibrated_db]
    )
    assert placed.exit_code == 2
    assert "model.skill" in " ".join(placed.output.split())


def test_placing_on_a_frontier_never_calibrated_says_what_it_needs(
    runner: CliRunner, tmp_path: Path
) -> None:
    where = tmp_path
    doc = small_document(stop={"maxRounds": 1}, calibration={"enabled": False})
    db = f"sqlite:///{where / 'f.db'}"
    ran = runner.invoke(app, ["run", "-f", str(write_manifest(where, doc)), "--db", db])
    assert ran.exit_code == 0, ran.output
    placed = runner.invoke(app, ["place", "--model", NEWCOMER, "--db", db])
    assert placed.exit_code == 2
    assert "no calibration yet: placement needs a fitted item bank" in " ".join(
        placed.output.split()
    )
