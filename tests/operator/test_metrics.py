"""The operator's /metrics: after a local run, the exposition parses and its series equal the
store's own numbers; names and labels are those the chart's alerts and dashboard read."""

from __future__ import annotations

import asyncio
import shutil
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import kopf
import kubernetes
import pytest
import yaml
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from frontier.domain.specs import FrontierSpec, ModelRef, PlacementSpec, TaskSetRef
from frontier.domain.tasks import Rollout
from frontier.local.runner import load_manifest, run_loop
from frontier.operator import main, metrics
from frontier.operator.kube import Kube
from frontier.operator.runtime import Runtime
from frontier.pipeline.context import stored_context
from frontier.pipeline.placement import place, placements
from frontier.pipeline.view import solver_view
from frontier.store import Store
from tests.deploy.support import EXPORTED_METRICS
from tests.operator.conftest import Operator, eventually, ref, run_job
from tests.operator.test_profile import apply, base_run_name, frontier_document
from tests.support.frontiers import small_document

FRONTIER = "default/shoppingbench-dev"
EXTRA_RUN = f"{FRONTIER}-extra-profile"
NEWCOMER = ModelRef(name="newcomer", provider="heuristic", skill=0.5)

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture(scope="module")
def loop_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One round of the embedded loop, a newcomer placed on its item bank, plus a solver run
    still in progress whose rollouts carry tokens, cost and a harness error (the heuristic
    agents spend none)."""
    folder = tmp_path_factory.mktemp("loop")
    manifest = folder / "frontier.yaml"
    manifest.write_text(yaml.safe_dump(small_document(stop={"maxRounds": 1})))
    path = folder / "frontier.db"
    store = Store.connect(f"sqlite:///{path}", auto_upgrade=True)
    asyncio.run(run_loop(store, load_manifest(manifest), base_dir=folder))
    record = store.get_frontier(FRONTIER)
    assert record is not None
    spec = FrontierSpec.model_validate(record.spec)
    ctx = stored_context(store, FRONTIER, base_dir=folder)
    asyncio.run(place(ctx, NEWCOMER, 1, PlacementSpec(maxItems=3), k=2, seed=0))
    task = store.task_ids(FRONTIER, origin="base")[0]
    store.create_run(
        EXTRA_RUN,
        frontier=FRONTIER,
        kind="profile",
        model=spec.solver,
        task_set=TaskSetRef(),
        k=2,
        phase="Running",
    )
    store.ingest_rollouts(
        EXTRA_RUN,
        [
            Rollout(
                task_id=task,
                attempt=0,
                reward=0.5,
                success=False,
                input_tokens=1200,
                output_tokens=300,
                cost_usd=0.0125,
            ),
            Rollout(
                task_id=task, attempt=1, status="error", error="endpoint timed out", input_tokens=40
            ),
        ],
    )
    store.close()
    return path


@pytest.fixture
def store(loop_db: Path, tmp_path: Path) -> Iterator[Store]:
    """A private copy of the loop's database, so a test may add to it."""
    copy = tmp_path / "copy.db"
    shutil.copy(loop_db, copy)
    with Store.connect(f"sqlite:///{copy}") as opened:
        yield opened


def scrape(registry: CollectorRegistry) -> Samples:
    """Parse the text exposition, as Prometheus would read it."""
    text = generate_latest(registry).decode()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, frozenset(labels.items()))]


def series(samples: Samples, name: str) -> list[dict[str, str]]:
    return [dict(labels) for (n, labels) in samples if n == name]


def store_registry(store: Store, **kwargs: Any) -> CollectorRegistry:
    registry = CollectorRegistry()
    registry.register(metrics.StoreCollector(store, **kwargs))
    return registry


def models_of(store: Store) -> list[str]:
    return sorted({r.model_name for r in store.runs(FRONTIER)})


def test_rollouts_by_status_equal_the_stores_counts_per_model(store: Store) -> None:
    samples = scrape(store_registry(store))
    errors = 0
    for model in models_of(store):
        runs = [r.name for r in store.runs(FRONTIER) if r.model_name == model]
        for status in ("ok", "error"):
            expected = sum(store.count_rollouts(run, status=status) for run in runs)
            got = value(
                samples, "frontier_rollouts_total", frontier=FRONTIER, model=model, status=status
            )
            assert got == expected, (model, status)
            errors += expected if status == "error" else 0
    assert errors == 1


def test_tokens_and_cost_equal_the_run_totals_of_each_model(store: Store) -> None:
    samples = scrape(store_registry(store))
    for model in models_of(store):
        totals = [store.run_totals(r.name) for r in store.runs(FRONTIER) if r.model_name == model]
        for direction, expected in (
            ("input", sum(t.input_tokens for t in totals)),
            ("output", sum(t.output_tokens for t in totals)),
        ):
            got = value(
                samples,
                "frontier_tokens_total",
                frontier=FRONTIER,
                model=model,
                direction=direction,
            )
            assert got == expected
        cost = value(samples, "frontier_cost_usd_total", frontier=FRONTIER, model=model)
        assert cost == pytest.approx(sum(t.cost_usd for t in totals))
    solver = store.get_run(EXTRA_RUN)
    assert solver is not None
    assert value(
        samples,
        "frontier_tokens_total",
        frontier=FRONTIER,
        model=solver.model_name,
        direction="input",
    ) == pytest.approx(1240)


def test_cost_by_stage_and_model_equals_the_run_totals_and_the_teachers_usage(
    store: Store,
) -> None:
    samples = scrape(store_registry(store))
    solver = store.get_run(EXTRA_RUN)
    assert solver is not None
    totals = [store.run_totals(r.name) for r in store.runs(FRONTIER, kind="profile")]
    labels = {"frontier": FRONTIER, "stage": "profile", "model": solver.model_name}
    cost = sum(t.cost_usd for t in totals)
    assert cost == pytest.approx(0.0125)
    assert value(samples, "frontier_stage_cost_usd_total", **labels) == pytest.approx(cost)
    assert value(samples, "frontier_stage_tokens_total", direction="input", **labels) == sum(
        t.input_tokens for t in totals
    )
    attempted = sum(t.attempted for t in totals)
    assert value(samples, "frontier_cost_per_rollout_usd", **labels) == pytest.approx(
        cost / attempted
    )
    successes, scored = sum(t.successes for t in totals), sum(t.ok for t in totals)
    assert value(samples, "frontier_cost_per_success_usd", **labels) == pytest.approx(
        cost / successes
    )
    assert value(samples, "frontier_accuracy_per_dollar", **labels) == pytest.approx(
        (successes / scored) / (cost / attempted)
    )
    teacher = {"frontier": FRONTIER, "stage": "teacher", "model": "procedural"}
    assert value(samples, "frontier_stage_cost_usd_total", **teacher) == 0
    # free stages have no accuracy per dollar: the series is absent, never infinite
    free = {"frontier": FRONTIER, "stage": "candidates", "model": solver.model_name}
    assert ("frontier_accuracy_per_dollar", frozenset(free.items())) not in samples
    assert value(samples, "frontier_cost_per_admitted_task_usd", frontier=FRONTIER) == 0
    # the extra run's rollouts were recorded after the round's slice was published
    assert value(
        samples, "frontier_spend_since_last_slice_usd", frontier=FRONTIER
    ) == pytest.approx(0.0125)


def test_candidates_by_decision_and_reason_equal_the_stores_candidate_counts(store: Store) -> None:
    samples = scrape(store_registry(store))
    counts = store.candidate_counts(FRONTIER)
    assert counts.admitted and counts.rejected  # the round decided both ways
    got = {
        (s["decision"], s["reason"]): value(samples, "frontier_candidates_total", **s)
        for s in series(samples, "frontier_candidates_total")
    }
    assert got[("admitted", "")] == counts.admitted
    assert sum(v for (d, _), v in got.items() if d == "rejected") == counts.rejected
    for reason, n in counts.by_reason.items():
        assert got[("rejected", reason)] == n
    assert all(d in ("admitted", "rejected") for d, _ in got), "pending is not a final decision"


def test_admission_yield_saturation_events_and_dry_rounds_match_the_store(store: Store) -> None:
    samples = scrape(store_registry(store))
    counts = store.candidate_counts(FRONTIER)
    assert value(samples, "frontier_admission_yield", frontier=FRONTIER) == pytest.approx(
        counts.admitted / counts.generated
    )
    saturations = store.events(FRONTIER, reason="SaturationDetected")
    assert saturations
    assert value(samples, "frontier_saturation_events_total", frontier=FRONTIER) == len(saturations)
    assert value(samples, "frontier_rounds_without_admission", frontier=FRONTIER) == 0


def test_rounds_without_admission_counts_finished_rounds_since_the_last_admission(
    store: Store,
) -> None:
    store.start_round(FRONTIER, 2, trigger="manual")
    store.set_round_phase(FRONTIER, 2, "Succeeded", stats={"admitted": 0, "generated": 4})
    store.start_round(FRONTIER, 3, trigger="manual")
    store.set_round_phase(FRONTIER, 3, "Failed", stats={"reason": "teacher Job failed"})
    store.start_round(FRONTIER, 4, trigger="manual")  # still running: not counted yet
    samples = scrape(store_registry(store))
    assert value(samples, "frontier_rounds_without_admission", frontier=FRONTIER) == 2


def test_the_solvers_tasks_per_band_and_reward_are_its_view(store: Store) -> None:
    samples = scrape(store_registry(store))
    view = solver_view(stored_context(store, FRONTIER))
    for band in ("saturated", "hillclimbable", "unreachable"):
        got = value(samples, "frontier_tasks", frontier=FRONTIER, model=view.model, band=band)
        assert got == getattr(view.summary, band), band
    assert view.summary.total > 0
    reward = value(samples, "frontier_reward_mean", frontier=FRONTIER, model=view.model)
    assert reward == pytest.approx(view.reward_mean)


def test_verifier_tasks_per_band_and_reward_are_those_of_its_latest_verification_run(
    store: Store,
) -> None:
    samples = scrape(store_registry(store))
    spec = stored_context(store, FRONTIER).spec
    assert spec.verifiers
    for verifier in spec.verifiers:
        run = [
            r for r in store.runs(FRONTIER, kind="verification") if r.model_name == verifier.name
        ][-1]
        bands = store.band_counts(run.name, spec.bands)
        for band in ("saturated", "hillclimbable", "unreachable"):
            got = value(
                samples, "frontier_tasks", frontier=FRONTIER, model=verifier.name, band=band
            )
            assert got == getattr(bands, band)
        means = [m.mean_reward for m in store.task_means(run.name).values() if m.mean_reward]
        reward = value(samples, "frontier_reward_mean", frontier=FRONTIER, model=verifier.name)
        assert reward == pytest.approx(sum(means) / len(means))
        assert 0.0 <= reward <= 1.0


def test_only_runs_in_progress_have_phase_series_with_their_age(store: Store) -> None:
    samples = scrape(store_registry(store))
    running = store.get_run(EXTRA_RUN)
    assert running is not None
    labels = {
        "frontier": FRONTIER,
        "run": EXTRA_RUN.removeprefix("default/"),
        "kind": "profile",
        "phase": "Running",
    }
    assert series(samples, "frontier_run_phase") == [labels]
    assert value(samples, "frontier_run_phase", **labels) == 1
    age = (datetime.now(UTC) - running.created_at.replace(tzinfo=UTC)).total_seconds()
    assert value(samples, "frontier_run_phase_seconds", **labels) == pytest.approx(age, abs=5)


def test_a_new_frontier_has_zero_valued_series_before_any_rollout(store: Store) -> None:
    doc = small_document()
    doc["metadata"]["name"] = "fresh"
    store.upsert_frontier("default/fresh", FrontierSpec.model_validate(doc["spec"]))
    registry = store_registry(store)
    registry.register(metrics.JOB_DURATION)
    samples = scrape(registry)
    fresh = "default/fresh"
    spec = FrontierSpec.model_validate(doc["spec"])
    for model in [spec.solver.name, *(v.name for v in spec.verifiers)]:
        for status in ("ok", "error"):
            got = value(
                samples, "frontier_rollouts_total", frontier=fresh, model=model, status=status
            )
            assert got == 0
        assert value(samples, "frontier_cost_usd_total", frontier=fresh, model=model) == 0
        assert value(samples, "frontier_tasks", frontier=fresh, model=model, band="saturated") == 0
        assert not [s for s in series(samples, "frontier_reward_mean") if s["frontier"] == fresh]
    assert value(samples, "frontier_saturation_events_total", frontier=fresh) == 0
    assert value(samples, "frontier_admission_yield", frontier=fresh) == 0
    assert (
        value(samples, "frontier_candidates_total", frontier=fresh, decision="admitted", reason="")
        == 0
    )
    assert value(samples, "frontier_job_duration_seconds_count", frontier=fresh) == 0


def test_exported_names_and_labels_are_those_the_alerts_and_dashboard_use(store: Store) -> None:
    samples = scrape(metrics.registry_for(store))
    found: dict[str, set[frozenset[str]]] = {}
    for name, labels in samples:
        if name.startswith("frontier_"):
            found.setdefault(name, set()).add(frozenset(k for k, _ in labels))
    wanted = {m: labels for m, labels in EXPORTED_METRICS.items() if m.startswith("frontier_")}
    for name, labels in wanted.items():
        assert found.get(name) == {frozenset(labels)}, name
    histograms = {n.removesuffix("_bucket") for n in wanted if n.endswith("_bucket")}
    for name, label_sets in found.items():
        if name in wanted:
            continue
        base, _, suffix = name.rpartition("_")
        assert base in histograms and suffix in ("count", "sum", "created"), name
        assert label_sets == {frozenset(wanted[f"{base}_bucket"] - {"le"})}, name


def test_no_label_carries_a_task_id_or_anything_about_a_secret(store: Store) -> None:
    doc = small_document()
    doc["spec"]["solver"] = {
        "name": "hosted-solver",
        "provider": "openai",
        "baseUrl": "https://llm.internal.example/v1",
        "model": "vendor/model-x",
        "apiKeySecret": {"name": "solver-api-key", "key": "openai-credential"},
    }
    store.upsert_frontier("default/hosted", FrontierSpec.model_validate(doc["spec"]))
    text = generate_latest(metrics.registry_for(store)).decode()
    samples = scrape(metrics.registry_for(store))
    values = {v for _, labels in samples for _, v in labels}
    assert "hosted-solver" in values  # the model is named by its spec name only
    for secret in ("solver-api-key", "openai-credential", "llm.internal.example", "vendor/model-x"):
        assert secret not in text
    task_ids = set(store.task_ids(FRONTIER)) | {c.task_id for c in store.candidates(FRONTIER)}
    assert task_ids and not values & task_ids


def test_a_scrape_is_reused_for_max_age_seconds(store: Store) -> None:
    now = [1000.0]
    registry = store_registry(store, max_age=5.0, clock=lambda: now[0])
    model = store.require_run(EXTRA_RUN).model_name
    labels = {"frontier": FRONTIER, "model": model, "status": "ok"}
    before = value(scrape(registry), "frontier_rollouts_total", **labels)
    task = store.task_ids(FRONTIER, origin="base")[1]
    store.ingest_rollouts(EXTRA_RUN, [Rollout(task_id=task, attempt=0, reward=1.0, success=True)])
    now[0] += 4.0
    assert value(scrape(registry), "frontier_rollouts_total", **labels) == before
    now[0] += 1.0
    assert value(scrape(registry), "frontier_rollouts_total", **labels) == before + 1


def test_finished_runs_are_read_once_and_runs_in_progress_every_scrape(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    read: list[str] = []
    original = store.run_totals

    def counting(run: str) -> Any:
        read.append(run)
        return original(run)

    monkeypatch.setattr(store, "run_totals", counting)
    registry = store_registry(store, max_age=0.0)
    scrape(registry)
    assert sorted(read) == sorted(r.name for r in store.runs(FRONTIER))
    read.clear()
    scrape(registry)
    assert read == [EXTRA_RUN]


def test_job_duration_is_from_start_to_completion_or_to_the_failed_condition() -> None:
    done = {
        "status": {"startTime": "2026-01-01T00:00:00Z", "completionTime": "2026-01-01T00:02:30Z"}
    }
    failed = {
        "status": {
            "startTime": "2026-01-01T00:00:00Z",
            "conditions": [
                {
                    "type": "FailureTarget",
                    "status": "True",
                    "lastTransitionTime": "2026-01-01T00:00:09Z",
                },
                {"type": "Failed", "status": "True", "lastTransitionTime": "2026-01-01T00:00:10Z"},
            ],
        }
    }
    running = {"status": {"startTime": "2026-01-01T00:00:00Z", "active": 1}}
    assert metrics.job_duration(done) == 150
    assert metrics.job_duration(failed) == 10
    assert metrics.job_duration(running) is None


def test_a_finished_job_is_observed_once_however_often_it_is_seen() -> None:
    job = {
        "metadata": {
            "name": "x-profile",
            "namespace": "team",
            "uid": "uid-observed-once",
            "labels": {metrics.FRONTIER_LABEL: "observed-once"},
        },
        "status": {"startTime": "2026-01-01T00:00:00Z", "completionTime": "2026-01-01T00:01:00Z"},
    }
    registry = CollectorRegistry()
    registry.register(metrics.JOB_DURATION)
    assert metrics.observe_job(job) == 60
    assert metrics.observe_job(job) is None
    samples = scrape(registry)
    assert value(samples, "frontier_job_duration_seconds_count", frontier="team/observed-once") == 1
    assert value(samples, "frontier_job_duration_seconds_sum", frontier="team/observed-once") == 60
    labels = {"frontier": "team/observed-once", "le": "60.0"}
    assert value(samples, "frontier_job_duration_seconds_bucket", **labels) == 1


async def test_a_timed_reconcile_is_observed_even_when_it_raises() -> None:
    @metrics.timed
    async def broken() -> None:
        await asyncio.sleep(0.01)
        raise RuntimeError("boom")

    before = metrics.RECONCILE_DURATION.collect()[0]
    count = next(s.value for s in before.samples if s.name.endswith("_count"))
    with pytest.raises(RuntimeError):
        await broken()
    after = metrics.RECONCILE_DURATION.collect()[0]
    assert next(s.value for s in after.samples if s.name.endswith("_count")) == count + 1


def test_the_metrics_port_comes_from_the_environment() -> None:
    assert metrics.port_from_env({}) == 9090
    assert metrics.port_from_env({"FRONTIER_METRICS_PORT": "9191"}) == 9191
    with pytest.raises(ValueError, match="FRONTIER_METRICS_PORT"):
        metrics.port_from_env({"FRONTIER_METRICS_PORT": "metrics"})
    with pytest.raises(ValueError, match="FRONTIER_METRICS_PORT"):
        metrics.port_from_env({"FRONTIER_METRICS_PORT": "70000"})


def get(url: str) -> tuple[int, str, str]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.headers["Content-Type"], response.read().decode()


async def test_the_endpoint_serves_metrics_on_a_free_port(store: Store) -> None:
    server = metrics.serve(store, 0, addr="127.0.0.1")
    try:
        status, kind, text = await asyncio.to_thread(get, f"http://127.0.0.1:{server.port}/metrics")
    finally:
        server.close()
    assert status == 200 and kind.startswith("text/plain")
    names = {f.name for f in text_string_to_metric_families(text)}
    assert {
        "frontier_rollouts",
        "frontier_reconcile_duration_seconds",
        "process_cpu_seconds",
    } <= names


async def test_the_operators_startup_serves_its_stores_metrics_and_cleanup_stops_them(
    store: Store,
) -> None:
    kube = Kube(kubernetes.client.Configuration())
    memo = kopf.Memo(runtime=Runtime(store=store, kube=kube), metrics_port=0)
    try:
        await main.startup(settings=kopf.OperatorSettings(), memo=memo)
        port = memo.metrics_server.port
        _, _, text = await asyncio.to_thread(get, f"http://127.0.0.1:{port}/metrics")
        assert f'frontier_saturation_events_total{{frontier="{FRONTIER}"}} 1.0' in text
        await main.cleanup(memo=memo)
        assert memo.metrics_server is None
        with pytest.raises(OSError):
            await asyncio.to_thread(get, f"http://127.0.0.1:{port}/metrics")
    finally:
        kube.close()


async def test_the_operator_observes_reconciles_and_the_duration_of_a_finished_job(
    operator: Operator, kube: Kube
) -> None:
    name = "metrics-shop"
    doc = frontier_document(name, saturation={"solverSaturatedFraction": 1.0, "maxRounds": 0})
    registry = CollectorRegistry()
    registry.register(metrics.RECONCILE_DURATION)
    registry.register(metrics.JOB_DURATION)
    reconciles = value(scrape(registry), "frontier_reconcile_duration_seconds_count")
    await apply(kube, doc)
    run_name = base_run_name(doc)
    job = await eventually(lambda: kube.get(ref("jobs", f"{run_name}-profile")), what="Job")
    await run_job(kube, job, operator.dsn)  # startTime to completionTime: 60 s

    async def run_done() -> Any:
        run = await kube.get(ref("profileruns", run_name))
        return run and (run.get("status") or {}).get("phase") == "Succeeded"

    await eventually(run_done, what="the ProfileRun to succeed")
    samples = scrape(registry)
    frontier = f"default/{name}"
    assert value(samples, "frontier_job_duration_seconds_count", frontier=frontier) == 1
    assert value(samples, "frontier_job_duration_seconds_sum", frontier=frontier) == 60
    assert value(samples, "frontier_reconcile_duration_seconds_count") > reconciles
    assert value(samples, "frontier_reconcile_duration_seconds_sum") > 0


def test_an_errored_attempt_that_a_later_wave_replays_stays_counted(store: Store) -> None:
    registry = store_registry(store, max_age=0.0)
    model = store.require_run(EXTRA_RUN).model_name
    errors = {"frontier": FRONTIER, "model": model, "status": "error"}
    tokens = {"frontier": FRONTIER, "model": model, "direction": "input"}
    before = value(scrape(registry), "frontier_rollouts_total", **errors)
    spent = value(scrape(registry), "frontier_tokens_total", **tokens)
    task = store.task_ids(FRONTIER, origin="base")[2]
    failed = Rollout(task_id=task, attempt=5, status="error", error="HTTP 503", input_tokens=9)
    store.ingest_rollouts(EXTRA_RUN, [failed])
    assert value(scrape(registry), "frontier_rollouts_total", **errors) == before + 1
    store.ingest_rollouts(EXTRA_RUN, [Rollout(task_id=task, attempt=5, reward=1.0, input_tokens=4)])
    assert value(scrape(registry), "frontier_rollouts_total", **errors) == before + 1
    assert value(scrape(registry), "frontier_tokens_total", **tokens) == spent + 9 + 4


def test_the_item_bank_exports_each_models_ability_and_the_latest_calibrations_flags(
    store: Store,
) -> None:
    # the loop's round was verified by two verifiers: solver and verifiers, three models
    latest = store.calibration(FRONTIER)
    assert latest is not None
    registry = store_registry(store, max_age=0.0)
    samples = scrape(registry)
    assert value(samples, "frontier_calibration_version", frontier=FRONTIER) == latest.version
    for a in latest.calibration.abilities:
        labels = {"frontier": FRONTIER, "model": a.model}
        assert value(samples, "frontier_ability_theta", **labels) == pytest.approx(a.theta)
        assert value(samples, "frontier_ability_theta_se", **labels) == pytest.approx(a.se)
    for flag in ("suspect_grading", "uninformative"):
        counted = sum(1 for i in latest.calibration.items if i.flag == flag)
        assert value(samples, "frontier_items_flagged", frontier=FRONTIER, flag=flag) == counted
    # a refit is a new version: the next scrape shows it, not the cached counts of the last
    newer = store.add_calibration(
        FRONTIER, replace(latest.calibration, items=latest.calibration.items[:1]), trigger="t"
    )
    again = scrape(registry)
    assert value(again, "frontier_calibration_version", frontier=FRONTIER) == newer.version
    first = latest.calibration.items[0].flag
    for flag in ("suspect_grading", "uninformative"):
        expected = 1 if first == flag else 0
        assert value(again, "frontier_items_flagged", frontier=FRONTIER, flag=flag) == expected


def test_a_placed_model_exports_its_theta_items_asked_and_forecast_per_slice_version(
    store: Store,
) -> None:
    (placed,) = placements(stored_context(store, FRONTIER))
    assert placed.model == NEWCOMER.name and placed.slices
    samples = scrape(store_registry(store, max_age=0.0))
    labels = {"frontier": FRONTIER, "model": placed.model, "calibration": str(placed.calibration)}
    assert value(samples, "frontier_placement_theta", **labels) == pytest.approx(placed.theta)
    assert value(samples, "frontier_placement_theta_se", **labels) == pytest.approx(placed.se)
    asked = value(samples, "frontier_placement_items_asked", frontier=FRONTIER, model="newcomer")
    assert asked == len(placed.items)
    for forecast in placed.slices:
        version = {"slice_version": str(forecast.version)}
        expected = value(
            samples,
            "frontier_placement_expected_pass",
            frontier=FRONTIER,
            model="newcomer",
            **version,
        )
        assert expected == pytest.approx(forecast.expected_pass)
