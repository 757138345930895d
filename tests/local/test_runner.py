from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import yaml

from frontier.domain.bands import Band, band_of
from frontier.domain.manifest import SpecError
from frontier.local.runner import ManifestError, load_manifest, run_loop
from frontier.pipeline.context import stored_context
from frontier.pipeline.view import solver_view
from frontier.store import Store
from tests.support.frontiers import small_document


def write_manifest(tmp_path: Path, doc: dict[str, Any]) -> Path:
    path = tmp_path / "frontier.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def snapshot(store: Store, frontier: str) -> dict[str, Any]:
    """Everything the loop decided, in a form two runs can be compared by."""
    rollouts = {
        run.name: sorted(
            (r.task_id, r.attempt, r.status, r.reward) for r in store.rollouts_for(run.name)
        )
        for run in store.runs(frontier)
    }
    return {
        "rollouts": rollouts,
        "candidates": sorted(
            (c.round, c.task_id, c.decision, c.reason) for c in store.candidates(frontier)
        ),
        "slices": [
            (s.version, s.parent_version, s.task_ids)
            for v in store.slice_versions(frontier)
            if (s := store.get_slice(frontier, v)) is not None
        ],
        "rounds": [(r.number, r.trigger, r.phase) for r in store.rounds(frontier)],
    }


async def run_to_end(tmp_path: Path, name: str, doc: dict[str, Any]) -> Store:
    store = Store.connect(f"sqlite:///{tmp_path / name}", auto_upgrade=True)
    path = write_manifest(tmp_path, doc)
    await run_loop(store, load_manifest(path), base_dir=tmp_path)
    return store


async def test_the_loop_runs_rounds_until_its_stop_condition(tmp_path: Path) -> None:
    doc = small_document(stop={"maxRounds": 2})
    store = Store.connect(f"sqlite:///{tmp_path / 'f.db'}", auto_upgrade=True)
    result = await run_loop(store, load_manifest(write_manifest(tmp_path, doc)), base_dir=tmp_path)
    assert [r.number for r in result.rounds] == [1, 2]
    assert result.stopped_because == "stop.maxRounds (2) reached"
    assert result.bands_before.total == 16
    assert any(e.reason == "SaturationDetected" for e in store.events("default/shoppingbench-dev"))
    # the slice is non-empty and every task in it is grounded and hillclimbable for the solver
    ctx = stored_context(store, "default/shoppingbench-dev")
    latest = store.get_slice(ctx.frontier)
    assert latest is not None and latest.size > 0
    environment = ctx.prepared_benchmark()
    means = solver_view(ctx).means
    for task in store.get_tasks(ctx.frontier, ids=latest.task_ids):
        assert environment.check_grounding(task).grounded, task.id
        assert band_of(means[task.id], ctx.spec.bands) is Band.HILLCLIMBABLE


async def test_a_loop_cancelled_mid_round_resumes_to_the_state_of_an_uninterrupted_run(
    tmp_path: Path,
) -> None:
    doc = small_document(stop={"maxRounds": 2})
    clean = await run_to_end(tmp_path, "clean.db", doc)

    store = Store.connect(f"sqlite:///{tmp_path / 'killed.db'}", auto_upgrade=True)
    resource = load_manifest(write_manifest(tmp_path, doc))
    task = asyncio.ensure_future(run_loop(store, resource, base_dir=tmp_path))
    frontier = "default/shoppingbench-dev"
    while not task.done():  # cancel once round 1's candidates are being rolled out
        await asyncio.sleep(0.01)
        try:
            runs = store.runs(frontier, kind="candidates")
        except Exception:
            continue
        if runs and store.count_rollouts(runs[0].name) > 5:
            task.cancel()
            break
    with pytest.raises(asyncio.CancelledError):
        await task
    assert store.get_round(frontier, 1) is not None
    assert store.get_round(frontier, 1).phase != "Succeeded"  # type: ignore[union-attr]
    await run_loop(store, resource, base_dir=tmp_path)
    resumed = snapshot(store, frontier)
    assert resumed["slices"], "the run published no slice: nothing to compare"
    assert resumed == snapshot(clean, frontier)


def test_a_manifest_that_is_not_yaml_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("kind: Frontier\nspec: [unclosed\n")
    with pytest.raises(ManifestError, match=r"bad\.yaml:\d+: not valid YAML"):
        load_manifest(path)


def test_a_manifest_without_a_frontier_says_so(tmp_path: Path) -> None:
    path = tmp_path / "cm.yaml"
    path.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    with pytest.raises(ManifestError, match="expected exactly one Frontier document, found 0"):
        load_manifest(path)


def test_an_invalid_spec_names_the_field_path(tmp_path: Path) -> None:
    doc = small_document(bands={"unreachableAtMost": 0.8, "saturatedAbove": 0.7})
    with pytest.raises(SpecError, match=r"spec\.bands"):
        load_manifest(write_manifest(tmp_path, doc))


async def test_a_benchmark_without_mutations_stops_after_one_empty_round(tmp_path: Path) -> None:
    example = Path(__file__).resolve().parents[2] / "examples" / "jsonl" / "frontier.yaml"
    store = Store.connect(f"sqlite:///{tmp_path / 'f.db'}", auto_upgrade=True)
    result = await run_loop(store, load_manifest(example), base_dir=example.parent)
    assert [r.counts.generated for r in result.rounds] == [0]
    assert result.stopped_because.startswith("the teacher proposed no candidates in round 1")


async def test_a_loop_cancelled_after_a_round_published_its_slice_resumes_without_a_new_version(
    tmp_path: Path,
) -> None:
    doc = small_document(stop={"maxRounds": 3})
    clean = await run_to_end(tmp_path, "clean.db", doc)

    store = Store.connect(f"sqlite:///{tmp_path / 'killed.db'}", auto_upgrade=True)
    resource = load_manifest(write_manifest(tmp_path, doc))
    task = asyncio.ensure_future(run_loop(store, resource, base_dir=tmp_path))
    frontier = "default/shoppingbench-dev"
    while not task.done():  # cancel once round 2 has published its slice, before it is verified
        await asyncio.sleep(0.01)
        try:
            published = store.events(frontier, reason="SlicePublished")
        except Exception:
            continue
        if len(published) >= 2:
            task.cancel()
            break
    with pytest.raises(asyncio.CancelledError):
        await task
    await run_loop(store, resource, base_dir=tmp_path)
    resumed = snapshot(store, frontier)
    assert len(resumed["slices"]) >= 2
    assert resumed == snapshot(clean, frontier)


class Crash(Exception):
    """A process that died at a chosen point (the run is started again afterwards)."""


NEXT_PHASE = {"Mutating": "Admitting", "Admitting": "Verifying", "Verifying": "Succeeded"}


@pytest.fixture(scope="module")
def parents_beyond_eligible(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Any]:
    """A 2-round run asking for more parents than are eligible, run to the end uninterrupted."""
    # the round takes every eligible task, and once its own children are admitted they would
    # be eligible too if its parents were chosen again
    doc = small_document(stop={"maxRounds": 2}, mutation={"parentsPerRound": 500})
    tmp = tmp_path_factory.mktemp("clean")
    store = asyncio.run(run_to_end(tmp, "clean.db", doc))
    return doc, store


@pytest.mark.slow
@pytest.mark.parametrize("stage", list(NEXT_PHASE))
async def test_a_round_crashed_at_the_end_of_any_stage_resumes_with_the_parents_it_started_with(
    tmp_path: Path, stage: str, parents_beyond_eligible: tuple[dict[str, Any], Store]
) -> None:
    doc, clean = parents_beyond_eligible
    frontier = "default/shoppingbench-dev"
    chosen = clean.get_round(frontier, 2)
    assert chosen is not None and chosen.parents is not None and 0 < len(chosen.parents) < 500

    store = Store.connect(f"sqlite:///{tmp_path / 'crashed.db'}", auto_upgrade=True)
    resource = load_manifest(write_manifest(tmp_path, doc))
    set_phase = store.set_round_phase

    def crash_before_the_next_phase(frontier: str, number: int, phase: str, **kw: Any) -> Any:
        if number == 2 and phase == NEXT_PHASE[stage]:
            raise Crash(f"killed at the end of round 2's {stage}")
        return set_phase(frontier, number, phase, **kw)

    store.set_round_phase = crash_before_the_next_phase  # type: ignore[method-assign]
    with pytest.raises(Crash):
        await run_loop(store, resource, base_dir=tmp_path)
    assert store.get_round(frontier, 2).phase == stage  # type: ignore[union-attr]
    store.set_round_phase = set_phase  # type: ignore[method-assign]
    await run_loop(store, resource, base_dir=tmp_path)
    resumed = snapshot(store, frontier)
    assert len(resumed["slices"]) == 2
    assert resumed == snapshot(clean, frontier)
    assert [r.parents for r in store.rounds(frontier)] == [
        r.parents for r in clean.rounds(frontier)
    ]


async def test_a_run_that_fails_before_its_first_rollout_leaves_the_store_as_it_was(
    tmp_path: Path,
) -> None:
    good = small_document(stop={"maxRounds": 1})
    store = await run_to_end(tmp_path, "f.db", good)
    frontier = "default/shoppingbench-dev"
    before = store.get_frontier(frontier)
    assert before is not None
    tasks_before = store.count_tasks(frontier)

    missing_glob = small_document(stop={"maxRounds": 1}, profile={"k": 5})
    missing_glob["spec"]["benchmark"]["source"]["paths"] = [str(tmp_path / "none-*.jsonl")]
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"not": "closed"\n')
    bad_line = small_document(stop={"maxRounds": 1}, profile={"k": 5})
    bad_line["spec"]["benchmark"]["source"] = {"paths": [str(broken)], "onError": "fail"}
    for doc in (missing_glob, bad_line):
        with pytest.raises(ValueError):
            await run_loop(store, load_manifest(write_manifest(tmp_path, doc)), base_dir=tmp_path)
        after = store.get_frontier(frontier)
        assert after is not None
        assert (after.generation, after.spec) == (before.generation, before.spec)
        assert store.count_tasks(frontier) == tasks_before

    empty = Store.connect(f"sqlite:///{tmp_path / 'empty.db'}", auto_upgrade=True)
    with pytest.raises(ValueError):
        await run_loop(
            empty, load_manifest(write_manifest(tmp_path, missing_glob)), base_dir=tmp_path
        )
    assert empty.get_frontier(frontier) is None


async def test_a_calibration_panel_is_profiled_once_and_fits_the_item_bank(tmp_path: Path) -> None:
    panel = [
        {"name": "ladder-low", "provider": "heuristic", "skill": 0.1},
        {"name": "ladder-high", "provider": "heuristic", "skill": 0.9},
    ]
    doc = small_document(per_family=6, stop={"maxRounds": 0}, calibration={"panel": panel})
    store = await run_to_end(tmp_path, "f.db", doc)
    frontier = "default/shoppingbench-dev"
    profiled = {r.model_name for r in store.runs(frontier, kind="profile")}
    assert {"ladder-low", "ladder-high"} <= profiled
    latest = store.calibration(frontier)
    assert latest is not None  # solver and the two rungs: three models, calibration.minModels
    thetas = {a.model: a.theta for a in latest.calibration.abilities}
    assert thetas["ladder-low"] < thetas["ladder-high"]
    assert {i.task_id for i in latest.calibration.items} <= set(store.task_ids(frontier))
    versions = len(store.calibrations(frontier))
    await run_to_end(tmp_path, "f.db", doc)  # run again: nothing new is profiled or refitted
    assert len(store.calibrations(frontier)) == versions
