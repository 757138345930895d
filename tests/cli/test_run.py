from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.progress import Progress
from typer.testing import CliRunner

from frontier.benchmarks.registry import load_benchmark
from frontier.cli.main import app
from frontier.cli.run import RateColumn, RemainingColumn, _progress_factory
from frontier.store import Store
from tests.cli.conftest import write_manifest
from tests.support.frontiers import small_document


def test_run_prints_a_json_summary_of_every_round(runner: CliRunner, tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path, small_document(stop={"maxRounds": 1}))
    db = f"sqlite:///{tmp_path / 'f.db'}"
    result = runner.invoke(app, ["run", "-f", str(manifest), "--db", db, "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["frontier"] == "default/shoppingbench-dev"
    assert [r["number"] for r in summary["rounds"]] == [1]
    assert summary["bandsBefore"]["total"] == 16
    assert summary["stoppedBecause"] == "stop.maxRounds (1) reached"


def test_run_with_an_invalid_spec_exits_2_naming_the_field(
    runner: CliRunner, tmp_path: Path
) -> None:
    manifest = write_manifest(tmp_path, small_document(profile={"k": 0}))
    result = runner.invoke(app, ["run", "-f", str(manifest), "--db", "sqlite://"])
    assert result.exit_code == 2
    assert "spec.profile.k" in result.stderr


def test_run_with_a_task_path_that_matches_nothing_names_the_path(
    runner: CliRunner, tmp_path: Path
) -> None:
    doc = small_document()
    doc["spec"]["benchmark"]["source"]["paths"] = ["no-such/*.jsonl"]
    result = runner.invoke(
        app, ["run", "-f", str(write_manifest(tmp_path, doc)), "--db", "sqlite://"]
    )
    assert result.exit_code == 2
    assert "spec.benchmark.source.paths[0]: 'no-such/*.jsonl' matches no file" in result.stderr


def test_status_and_export_read_the_frontier_back(runner: CliRunner, tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path, small_document(stop={"maxRounds": 1}))
    db = f"sqlite:///{tmp_path / 'f.db'}"
    assert runner.invoke(app, ["run", "-f", str(manifest), "--db", db]).exit_code == 0

    status = runner.invoke(app, ["status", "--db", db, "--json"])
    assert status.exit_code == 0, status.output
    state = json.loads(status.stdout)
    assert state["sliceVersion"] == 1
    assert state["rounds"][0]["phase"] == "Succeeded"
    [v1] = state["slices"]
    assert v1["families"] and sum(v1["families"].values()) == v1["size"] == state["sliceSize"]
    printed = runner.invoke(app, ["status", "--db", db])
    assert "Slice versions" in printed.stdout
    words = " ".join(printed.stdout.split())  # the console wraps at its width
    assert "0 ended in a harness error (0 replayed), 0 still errored" in words
    assert all(f"{family} {n}" in printed.stdout for family, n in v1["families"].items())

    out = tmp_path / "slice.jsonl"
    exported = runner.invoke(
        app,
        ["export", "shoppingbench-dev", "--slice", "1", "-o", str(out), "--db", db, "--no-lineage"],
    )
    assert exported.exit_code == 0, exported.output
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    store = Store.connect(db)
    members = store.get_slice("default/shoppingbench-dev", 1)
    assert members is not None and len(lines) == members.size == state["sliceSize"]
    tasks = store.get_tasks("default/shoppingbench-dev", ids=members.task_ids)
    by_id = {t.id: t for t in tasks}
    assert lines == [by_id[t].payload for t in members.task_ids]
    # every exported line loads again as the same task, in the benchmark's public format
    reloaded = load_benchmark("shoppingbench").load([str(out)])
    assert not reloaded.errors
    assert [t.id for t in reloaded.tasks] == list(members.task_ids)


@pytest.mark.parametrize(
    ("where", "cause"),
    [("folder", "Is a directory"), ("/dev/full", "No space left on device")],
)
def test_export_to_a_place_it_cannot_write_says_so_in_one_line(
    runner: CliRunner, tmp_path: Path, where: str, cause: str
) -> None:
    manifest = write_manifest(tmp_path, small_document(stop={"maxRounds": 1}))
    db = f"sqlite:///{tmp_path / 'f.db'}"
    assert runner.invoke(app, ["run", "-f", str(manifest), "--db", db]).exit_code == 0
    target = tmp_path if where == "folder" else Path(where)
    exported = runner.invoke(app, ["export", "-o", str(target), "--db", db])
    assert exported.exit_code == 2, exported.output
    assert f"cannot write {target}: {cause}" in exported.stderr
    assert "Traceback" not in exported.output + exported.stderr


@pytest.mark.parametrize("command", [["status"], ["export"], ["report", "-o", "r.html"]])
def test_a_reading_command_never_creates_a_database(
    runner: CliRunner, tmp_path: Path, command: list[str]
) -> None:
    missing = tmp_path / "nothing-here.db"
    result = runner.invoke(app, [*command, "--db", f"sqlite:///{missing}"])
    assert result.exit_code == 2, result.output
    assert f"no database at {missing}: nothing has run there yet" in result.stderr
    assert "frontier run -f" in result.stderr
    assert not missing.exists()


@pytest.mark.parametrize(
    ("field", "value", "said"),
    [
        ("benchmark.name", "nope", "spec.benchmark.name: unknown benchmark 'nope'"),
        ("solver.profile", "nope", "spec.solver.profile: 'nope' is not one of shoppingbench's"),
        ("teacher.motifs", ["nope"], "spec.teacher.motifs: ['nope'] are not motifs of"),
    ],
)
def test_names_only_the_benchmark_knows_are_checked_before_any_database(
    runner: CliRunner, tmp_path: Path, field: str, value: object, said: str
) -> None:
    doc = small_document()
    section, key = field.split(".")
    doc["spec"].setdefault(section, {})[key] = value
    db = tmp_path / "never.db"
    result = runner.invoke(
        app, ["run", "-f", str(write_manifest(tmp_path, doc)), "--db", f"sqlite:///{db}"]
    )
    assert result.exit_code == 2, result.output
    assert said in result.stderr.replace("\n", " ")
    assert "Traceback" not in result.output + result.stderr
    assert not db.exists()


def test_status_of_an_unknown_frontier_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'f.db'}"
    Store.connect(db, auto_upgrade=True).close()
    result = runner.invoke(app, ["status", "nope", "--db", db])
    assert result.exit_code == 2
    assert "no frontier 'default/nope'" in result.stderr


def test_export_adds_each_task_s_lineage_by_default(runner: CliRunner, tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path, small_document(stop={"maxRounds": 1}))
    db = f"sqlite:///{tmp_path / 'f.db'}"
    assert runner.invoke(app, ["run", "-f", str(manifest), "--db", db]).exit_code == 0
    exported = runner.invoke(app, ["export", "--db", db])
    assert exported.exit_code == 0, exported.output
    lineages = [json.loads(line)["_frontier"] for line in exported.stdout.splitlines()]
    store = Store.connect(db)
    latest = store.get_slice("default/shoppingbench-dev")
    assert latest is not None and [x["id"] for x in lineages] == list(latest.task_ids)
    for x in lineages:
        task = store.get_task("default/shoppingbench-dev", x["id"])
        assert task is not None
        assert (x["parentId"], x["motif"], x["round"], x["origin"]) == (
            task.lineage.parent_id,
            task.lineage.motif,
            task.lineage.round,
            task.lineage.origin,
        )
        assert x["round"] == 1 and x["parentId"] is not None


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_rate_is_rollouts_done_here_over_the_time_since_rolling_began() -> None:
    """Fast rollouts finish in bursts and every wave raises the total: neither may inflate it."""
    clock = Clock()
    progress = Progress(get_time=clock, disable=True)
    hook = _progress_factory(progress)("round 1: candidates")
    clock.now = 5.0  # loading tasks before the first wave does not count
    hook(0, 40)
    for done in range(1, 41):  # the first wave finishes in a burst two seconds in
        clock.now = 7.0 + done * 1e-6
        hook(done, 40)
    hook(40, 60)  # a second wave is planned
    clock.now = 9.0
    hook(50, 60)
    task = progress.tasks[0]
    assert RateColumn().render(task).plain == "12.5/s"  # 50 rollouts in 4 s
    assert RemainingColumn().render(task).plain == "0:00:00"  # 10 left at 12.5/s: under 1 s
    clock.now = 15.0
    assert RateColumn().render(task).plain == "5.0/s"
    assert RemainingColumn().render(task).plain == "0:00:02"
    hook(60, 60)
    clock.now = 100.0  # once every planned rollout is done, the rate stays where it ended
    assert RateColumn().render(task).plain == "6.0/s"


def test_a_bar_before_any_rollout_shows_no_rate() -> None:
    progress = Progress(get_time=Clock(), disable=True)
    _progress_factory(progress)("profile base tasks")(0, 16)
    assert RateColumn().render(progress.tasks[0]).plain == "-/s"


def test_export_writes_only_the_pipelines_lineage_never_one_inside_the_record() -> None:
    from types import SimpleNamespace

    from frontier.cli.inspect import _record
    from frontier.domain.tasks import Lineage, Task

    forged = {"origin": "base", "round": 0}
    task = Task(
        id="t1",
        benchmark="shoppingbench",
        family="product",
        query="a lamp",
        payload={"query": "a lamp", "_frontier": forged},
        lineage=Lineage(origin="llm", parent_id="p0", root_id="p0", motif="price_shift", round=2),
    )
    ctx = SimpleNamespace(benchmark=SimpleNamespace(export=lambda t: dict(t.payload)))
    assert _record(ctx, task, lineage=False) == {"query": "a lamp"}  # type: ignore[arg-type]
    block = _record(ctx, task, lineage=True)["_frontier"]  # type: ignore[arg-type]
    assert (block["origin"], block["round"], block["parentId"]) == ("llm", 2, "p0")
