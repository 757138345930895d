"""Malformed and truncated task files: `frontier run` names the file and line, and loses nothing.

Each broken file stops `frontier run` (onError: fail) with exit code 2 and one
message `FILE:LINE: what is wrong`. A frontier that already ran keeps every
rollout, round and slice through the failed run, and once the file is fixed the
next run resumes from the store: nothing already played is played again.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from frontier.cli.main import app
from frontier.store import Store
from tests.support.frontiers import SHARED_DATA, dev_sample_dir, small_document

FAMILIES = ("product", "shop", "voucher", "web")
PER_FILE = 4
FRONTIER = "default/shoppingbench-dev"


def clean_lines(family: str) -> list[str]:
    """The first readable records of a dev file (the public web file has two cut-off ones)."""
    path = SHARED_DATA / f"{family}.dev.jsonl"
    if not path.exists():
        dev_sample_dir()  # skips, or fails in CI
    found: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            if isinstance(json.loads(line), dict):
                found.append(line)
        except json.JSONDecodeError:
            continue
        if len(found) == PER_FILE:
            break
    return found


def write_tasks(folder: Path) -> dict[str, Path]:
    folder.mkdir(exist_ok=True)
    paths = {}
    for family in FAMILIES:
        paths[family] = folder / f"{family}.dev.jsonl"
        paths[family].write_text("\n".join(clean_lines(family)) + "\n", encoding="utf-8")
    return paths


def manifest(tmp_path: Path, **source: Any) -> Path:
    doc = small_document(stop={"maxRounds": 1})
    doc["spec"]["benchmark"]["source"] = {
        "paths": ["tasks/*.dev.jsonl"],
        "onError": "fail",
        **source,
    }
    doc["spec"]["profile"]["k"] = 2
    doc["spec"]["admission"]["k"] = 2
    doc["spec"]["verification"]["k"] = 2
    path = tmp_path / "frontier.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def run(path: Path, db: str, *extra: str) -> Any:
    return CliRunner().invoke(app, ["run", "-f", str(path), "--db", db, "--json", *extra])


def corrupt_line(n: int, text: str) -> Callable[[list[str]], list[str]]:
    def edit(lines: list[str]) -> list[str]:
        return [*lines[: n - 1], text, *lines[n:]]

    return edit


def truncate_last(lines: list[str]) -> list[str]:
    last = lines[-1]
    return [*lines[:-1], last[: len(last) // 2]]


BROKEN: list[tuple[str, str, Callable[[list[str]], list[str]], str]] = [
    ("invalid JSON", "product", corrupt_line(3, '{"query": "a lamp", "reward": }'), "product.dev.jsonl:3: invalid JSON"),
    ("last record cut off mid-string", "web", truncate_last, f"web.dev.jsonl:{PER_FILE}: invalid JSON"),
    ("record without a query", "shop", corrupt_line(2, '{"reward": [{"product_id": "1"}]}'), "shop.dev.jsonl:2: query: missing or empty"),
    ("a JSON array for a record", "voucher", corrupt_line(1, "[1, 2, 3]"), "voucher.dev.jsonl:1: expected a JSON object"),
    ("a reward of the wrong type", "product", corrupt_line(4, '{"query": "q", "reward": 7}'), "product.dev.jsonl:4: "),
]  # fmt: skip


@pytest.mark.parametrize(("case", "family", "edit", "message"), BROKEN, ids=[b[0] for b in BROKEN])
def test_a_broken_task_file_stops_the_run_naming_file_and_line(
    tmp_path: Path,
    case: str,
    family: str,
    edit: Callable[[list[str]], list[str]],
    message: str,
) -> None:
    paths = write_tasks(tmp_path / "tasks")
    lines = paths[family].read_text(encoding="utf-8").splitlines()
    paths[family].write_text("\n".join(edit(lines)), encoding="utf-8")
    result = run(manifest(tmp_path), f"sqlite:///{tmp_path / 'f.db'}")
    assert result.exit_code == 2, result.output
    assert f"{tmp_path / 'tasks'}/{message}" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_a_byte_that_is_not_utf8_is_named_at_its_line(tmp_path: Path) -> None:
    paths = write_tasks(tmp_path / "tasks")
    lines = paths["shop"].read_bytes().split(b"\n")
    lines[2] = b'{"query": "caf\xe9 table", "reward": []}'
    paths["shop"].write_bytes(b"\n".join(lines))
    result = run(manifest(tmp_path), f"sqlite:///{tmp_path / 'f.db'}")
    assert result.exit_code == 2
    assert f"{paths['shop']}:3: not UTF-8 (byte 0xe9 at column 15)" in result.stderr


def test_task_files_without_a_single_task_are_a_source_error(tmp_path: Path) -> None:
    folder = tmp_path / "tasks"
    folder.mkdir()
    (folder / "product.dev.jsonl").write_text("\n\n")
    result = run(manifest(tmp_path), f"sqlite:///{tmp_path / 'f.db'}")
    assert result.exit_code == 2
    assert "spec.benchmark.source: no task could be loaded" in result.stderr


def test_with_on_error_skip_the_broken_lines_are_counted_and_every_good_task_is_profiled(
    tmp_path: Path,
) -> None:
    paths = write_tasks(tmp_path / "tasks")
    lines = paths["product"].read_text(encoding="utf-8").splitlines()
    paths["product"].write_text("\n".join([*lines, "{not json", '{"query": ""}']) + "\n")
    db = f"sqlite:///{tmp_path / 'f.db'}"
    result = run(manifest(tmp_path, onError="skip"), db)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["loadErrors"] == 2
    assert summary["bandsBefore"]["total"] == len(FAMILIES) * PER_FILE


HOSTILE_LINES = [
    '{"query": "a lamp\\u0000 with a NUL", "reward": {"product_id": "1"}}',
    '{"query": "deep", "reward": ' + "[" * 100_000 + "]" * 100_000 + "}",
    '{"query": "nan", "reward": {"product_id": "1", "price": [{"less than": [null, NaN]}]}}',
    '{"query": "infinite", "reward": {"product_id": "1", "score": Infinity}}',
    '{"query": "overflow", "reward": {"product_id": "1", "score": 1e999}}',
]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_with_on_error_skip_hostile_lines_are_named_and_only_the_good_tasks_are_stored(
    tmp_path: Path, request: pytest.FixtureRequest, backend: str
) -> None:
    """A NUL, a 100,000-deep record, NaN, Infinity and 1e999 used to abort a run (a
    RecursionError, or PostgreSQL refusing the row) and a Latin-1 byte dropped its file."""
    paths = write_tasks(tmp_path / "tasks")
    good = paths["product"].read_bytes().split(b"\n")[:PER_FILE]
    hostile = [line.encode() for line in HOSTILE_LINES] + [b'{"query": "caf\xe9", "reward": {}}']
    mixed = [good[0], *hostile[:3], good[1], good[2], *hostile[3:], good[3]]
    paths["product"].write_bytes(b"\n".join(mixed) + b"\n")
    if backend == "sqlite":
        dsn = f"sqlite:///{tmp_path / 'f.db'}"
        result, stored = run_and_read(tmp_path, dsn)
    else:
        admin = request.getfixturevalue("admin")
        with admin.scratch_database() as dsn:
            result, stored = run_and_read(tmp_path, dsn)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["loadErrors"] == len(hostile)
    assert summary["bandsBefore"]["total"] == len(FAMILIES) * PER_FILE
    bad_lines = [i + 1 for i, line in enumerate(mixed) if line in hostile]
    where = f"{paths['product']}:"
    warned = [e for e in result.stderr.splitlines() if e.startswith(f"warning: skipped {where}")]
    assert [int(w[len(f"warning: skipped {where}") :].split(":")[0]) for w in warned] == bad_lines
    assert summary["skipped"] == [w.removeprefix("warning: skipped ") for w in warned]
    assert len(stored) == len(FAMILIES) * PER_FILE
    assert {json.loads(line)["query"] for line in good} <= stored


def run_and_read(tmp_path: Path, dsn: str) -> tuple[Any, set[str]]:
    """`frontier run` with onError: skip on `dsn`, and the queries of the stored base tasks."""
    result = run(manifest(tmp_path, onError="skip"), dsn)
    store = Store.connect(dsn)
    try:
        stored = {t.query for t in store.get_tasks(FRONTIER) if t.lineage.parent_id is None}
    finally:
        store.close()
    return result, stored


def snapshot(store: Store) -> dict[str, Any]:
    """Everything stored, rollouts with their timings (a replayed rollout would differ)."""
    return {
        "rollouts": {
            run.name: [r.model_dump() for r in store.rollouts_for(run.name)]
            for run in store.runs(FRONTIER)
        },
        "tasks": sorted(t.id for t in store.get_tasks(FRONTIER)),
        "candidates": sorted((c.round, c.task_id, c.decision, c.reason) for c in store.candidates(FRONTIER)),
        "slices": [(v, store.get_slice(FRONTIER, v)) for v in store.slice_versions(FRONTIER)],
        "rounds": [(r.number, r.phase) for r in store.rounds(FRONTIER)],
    }  # fmt: skip


def test_a_truncated_file_loses_no_earlier_work_and_the_fixed_file_resumes(
    tmp_path: Path,
) -> None:
    paths = write_tasks(tmp_path / "tasks")
    path = manifest(tmp_path)
    db = f"sqlite:///{tmp_path / 'f.db'}"
    first = run(path, db)
    assert first.exit_code == 0, first.output
    store = Store.connect(db)
    before = snapshot(store)
    assert before["rounds"] == [(1, "Succeeded")] and before["slices"]

    good = tmp_path / "web.good"
    shutil.copyfile(paths["web"], good)
    paths["web"].write_text("\n".join(truncate_last(good.read_text().splitlines())))
    broken = run(path, db, "--max-rounds", "2")
    assert broken.exit_code == 2
    assert f"{paths['web']}:{PER_FILE}: invalid JSON" in broken.stderr
    assert snapshot(store) == before, "the failed run changed or lost stored work"

    shutil.copyfile(good, paths["web"])
    resumed = run(path, db, "--max-rounds", "2")
    assert resumed.exit_code == 0, resumed.output
    after = snapshot(store)
    assert [n for n, _ in after["rounds"]] == [1, 2]
    for run_name, rollouts in before["rollouts"].items():
        assert after["rollouts"][run_name] == rollouts, f"{run_name} was played again"
    assert set(before["tasks"]) <= set(after["tasks"])
    assert after["slices"][: len(before["slices"])] == before["slices"]
    store.close()


def test_an_error_naming_a_long_path_stays_on_one_line(tmp_path: Path) -> None:
    folder = tmp_path / ("a-rather-long-folder-name-" * 3) / "tasks"
    folder.mkdir(parents=True)
    (folder / "product.dev.jsonl").write_text("{broken\n")
    path = folder.parent / "frontier.yaml"
    doc = yaml.safe_load(manifest(tmp_path).read_text())
    path.write_text(yaml.safe_dump(doc))
    result = run(path, f"sqlite:///{tmp_path / 'f.db'}")
    assert result.exit_code == 2
    assert f"{folder / 'product.dev.jsonl'}:1: invalid JSON" in result.stderr.splitlines()[0]
