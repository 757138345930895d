"""`frontier export` writes the calibrated item parameters of a slice's tasks beside it."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from frontier.cli.main import app
from frontier.store import Store
from tests.cli.conftest import write_manifest
from tests.support.frontiers import small_document

FRONTIER = "default/shoppingbench-dev"


@pytest.fixture
def db(calibrated_db: str) -> str:
    return calibrated_db


def test_export_writes_the_item_parameters_beside_the_slice(
    runner: CliRunner, db: str, tmp_path: Path
) -> None:
    out = tmp_path / "slice.jsonl"
    exported = runner.invoke(app, ["export", "-o", str(out), "--db", db])
    assert exported.exit_code == 0, exported.output
    beside = tmp_path / "slice.items.json"
    assert f"to {beside}" in " ".join(exported.stdout.split())
    document = json.loads(beside.read_text())
    store = Store.connect(db)
    members = store.get_slice(FRONTIER)
    latest = store.calibration(FRONTIER)
    assert members is not None and latest is not None and latest.version == 4
    cal = latest.calibration
    assert (document["slice"], document["calibration"], document["trigger"]) == (
        members.version,
        4,
        latest.trigger,
    )
    assert (document["anchor"], document["library"], document["libraryVersion"]) == (
        cal.anchor,
        cal.library,
        cal.library_version,
    )
    assert "P(success) = 1 / (1 + exp(-a * (theta - b)))" in document["scale"]
    assert [i["taskId"] for i in document["items"]] == list(members.task_ids)  # slice order
    assert document["tasks"] == members.size and document["uncalibrated"] == 0
    for entry in document["items"]:
        item = cal.item(entry["taskId"])
        assert (entry["a"], entry["aSe"], entry["b"], entry["bSe"], entry["flag"]) == (
            item.a,
            item.a_se,
            item.b,
            item.b_se,
            item.flag,
        )
    abilities = {a["model"]: (a["theta"], a["se"]) for a in document["abilities"]}
    assert abilities == {a.model: (a.theta, a.se) for a in cal.abilities}
    assert {"ladder-low", "ladder-high"} <= abilities.keys()


def test_each_exported_task_carries_its_item_parameters_in_its_lineage(
    runner: CliRunner, db: str
) -> None:
    exported = runner.invoke(app, ["export", "--db", db])
    assert exported.exit_code == 0, exported.output
    latest = Store.connect(db).calibration(FRONTIER)
    assert latest is not None
    for line in exported.stdout.splitlines():
        block = json.loads(line)["_frontier"]
        item = latest.calibration.item(block["id"])
        assert block["irt"] == {
            "a": item.a,
            "b": item.b,
            "flag": item.flag,
            "calibration": latest.version,
        }
        assert set(block) == {
            "id",
            "family",
            "origin",
            "parentId",
            "rootId",
            "motif",
            "round",
            "depth",
            "irt",
        }


def test_items_go_where_items_says_and_the_tasks_stay_alone_on_stdout(
    runner: CliRunner, db: str, tmp_path: Path
) -> None:
    target = tmp_path / "bank" / "v1.json"
    target.parent.mkdir()
    exported = runner.invoke(
        app, ["export", "--items", str(target), "--calibration", "1", "--db", db]
    )
    assert exported.exit_code == 0, exported.output
    assert all(json.loads(line) for line in exported.stdout.splitlines())  # JSON Lines only
    assert f"to {target}" in " ".join(exported.stderr.split())
    assert json.loads(target.read_text())["calibration"] == 1


def test_no_items_writes_the_slice_alone(runner: CliRunner, db: str, tmp_path: Path) -> None:
    out = tmp_path / "slice.jsonl"
    exported = runner.invoke(app, ["export", "-o", str(out), "--no-items", "--db", db])
    assert exported.exit_code == 0, exported.output
    assert out.exists() and not (tmp_path / "slice.items.json").exists()
    assert "item parameters" not in exported.stdout


def test_a_task_the_calibration_does_not_cover_keeps_its_entry_with_null_parameters(
    runner: CliRunner, db: str, tmp_path: Path
) -> None:
    store = Store.connect(db)
    members, latest = store.get_slice(FRONTIER), store.calibration(FRONTIER)
    assert members is not None and latest is not None
    missing = members.task_ids[3]
    fewer = tuple(i for i in latest.calibration.items if i.task_id != missing)
    store.add_calibration(FRONTIER, replace(latest.calibration, items=fewer), trigger="a test")

    out = tmp_path / "slice.jsonl"
    exported = runner.invoke(app, ["export", "-o", str(out), "--db", db])
    assert exported.exit_code == 0, exported.output
    document = json.loads((tmp_path / "slice.items.json").read_text())
    assert document["calibration"] == latest.version + 1 and document["tasks"] == members.size
    assert document["uncalibrated"] == 1
    assert [i["taskId"] for i in document["items"]] == list(members.task_ids)
    assert document["items"][3] == {
        "taskId": missing,
        "a": None,
        "aSe": None,
        "b": None,
        "bSe": None,
        "flag": None,
    }
    said = " ".join(exported.stdout.split())
    assert f"the item parameters of {members.size - 1} of {members.size} tasks" in said
    blocks = [json.loads(line)["_frontier"] for line in out.read_text().splitlines()]
    assert "irt" not in blocks[3] and all("irt" in b for i, b in enumerate(blocks) if i != 3)


def test_the_calibration_before_the_slice_covers_none_of_its_tasks_and_says_so(
    runner: CliRunner, db: str, tmp_path: Path
) -> None:
    out = tmp_path / "slice.jsonl"
    exported = runner.invoke(app, ["export", "-o", str(out), "--calibration", "1", "--db", db])
    assert exported.exit_code == 0, exported.output
    document = json.loads((tmp_path / "slice.items.json").read_text())
    assert document["uncalibrated"] == document["tasks"] == len(document["items"]) > 0
    assert all(i["a"] is None and i["b"] is None for i in document["items"])
    assert all("irt" not in json.loads(line)["_frontier"] for line in out.read_text().splitlines())


def test_asking_for_the_items_of_a_frontier_never_calibrated_is_a_clear_error(
    runner: CliRunner, tmp_path: Path
) -> None:
    doc = small_document(stop={"maxRounds": 1}, calibration={"enabled": False})
    db = f"sqlite:///{tmp_path / 'f.db'}"
    ran = runner.invoke(app, ["run", "-f", str(write_manifest(tmp_path, doc)), "--db", db])
    assert ran.exit_code == 0, ran.output
    out, items = tmp_path / "slice.jsonl", tmp_path / "items.json"

    asked = runner.invoke(app, ["export", "-o", str(out), "--items", str(items), "--db", db])
    assert asked.exit_code == 2, asked.output
    assert f"--items: {FRONTIER} has no calibration yet" in " ".join(asked.stderr.split())
    assert "Traceback" not in asked.output + asked.stderr
    assert not out.exists() and not items.exists()  # nothing is written half

    # without --items, the slice is written alone: there is nothing to put beside it
    plain = runner.invoke(app, ["export", "-o", str(out), "--db", db])
    assert plain.exit_code == 0, plain.output
    assert out.exists() and list(tmp_path.glob("*.items.json")) == []
    assert "item parameters" not in plain.stdout


def test_an_unknown_calibration_version_names_the_versions_there_are(
    runner: CliRunner, db: str
) -> None:
    exported = runner.invoke(app, ["export", "--calibration", "9", "--db", db])
    assert exported.exit_code == 2, exported.output
    said = " ".join(exported.stderr.split())
    assert f"--calibration: {FRONTIER} has no calibration v9 (it has: v1, v2, v3, v4)" in said


def test_items_and_no_items_together_contradict_each_other(runner: CliRunner, db: str) -> None:
    exported = runner.invoke(app, ["export", "--items", "x.json", "--no-items", "--db", db])
    assert exported.exit_code == 2
    assert "--items and --no-items contradict each other" in " ".join(exported.stderr.split())
