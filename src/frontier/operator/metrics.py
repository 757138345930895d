"""Prometheus metrics: the store's numbers, read at scrape time, and the operator's own timings.

Why read the store at scrape time: workers are short-lived Jobs, gone before a scrape
would find them, and a Pushgateway keeps stale series forever. Every rollout, its tokens
and cost, every candidate's decision and every saturation is a row the workers and the
operator write to the store anyway, so the operator's `/metrics` computes those series
from the rows when Prometheus asks: nothing is lost when a pod ends, counters survive an
operator restart, and there is one scrape target. Only what happens inside the operator
(reconcile latency, the Job durations it sees) is counted in process.

Cardinality stays bounded: labels are frontiers, model names, bands, statuses, decisions,
reasons, and the names of runs that are still in progress; never task ids or secrets.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ParamSpec, TypeVar
from wsgiref.simple_server import WSGIServer

from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Histogram,
    start_http_server,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from pydantic import ValidationError

from frontier.domain.admission import Reason
from frontier.domain.bands import BAND_ORDER, BandSummary, partition, summarize
from frontier.domain.cost import CostSummary
from frontier.domain.placement import PlacementResult
from frontier.domain.rounds import FINISHED_PHASES, RoundStats
from frontier.domain.runs import FINISHED_RUN_PHASES, RunTotals
from frontier.domain.specs import FrontierSpec
from frontier.pipeline.cost import spend_of
from frontier.pipeline.placement import placement_of
from frontier.pipeline.view import read_solver_view, run_means
from frontier.store import FrontierRecord, RunRecord, Store, StoreUnavailableError

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

DEFAULT_PORT = 9090
STATUSES = ("ok", "error")
DIRECTIONS = ("input", "output")

RECONCILE_DURATION = Histogram(
    "frontier_reconcile_duration_seconds",
    "Time one reconcile of a Frontier, ProfileRun, MutationRound or VerificationRun took.",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
    registry=None,
)
JOB_DURATION = Histogram(
    "frontier_job_duration_seconds",
    "Wall time of finished worker Jobs, from the Job's startTime to its completion.",
    ["frontier"],
    buckets=(10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400, 28800, 86400),
    registry=None,
)


# --- in-process: reconcile latency and Job durations -------------------------


def timed(fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """Observe an async reconcile's wall time (lock waits included) in the histogram."""

    @functools.wraps(fn)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        start = time.perf_counter()
        try:
            return await fn(*args, **kwargs)
        finally:
            RECONCILE_DURATION.observe(time.perf_counter() - start)

    return wrapper


class _SeenJobs:
    """The uids of Jobs already observed (bounded), so a Job is counted once however
    often its run is reconciled after it finished."""

    def __init__(self, limit: int = 10_000) -> None:
        self.limit = limit
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def first_time(self, uid: str) -> bool:
        with self._lock:
            if uid in self._seen:
                return False
            self._seen[uid] = None
            if len(self._seen) > self.limit:
                self._seen.popitem(last=False)
            return True


_SEEN_JOBS = _SeenJobs()
FRONTIER_LABEL = "frontier.dev/frontier"  # the label manifests.worker_job puts on every Job


def job_duration(job: Mapping[str, Any]) -> float | None:
    """Seconds from a finished Job's startTime to its end (completionTime, or the time its
    Failed condition was set, since a failed Job has no completionTime); None if running."""
    status = job.get("status") or {}
    start = _parse_time(status.get("startTime"))
    end = _parse_time(status.get("completionTime"))
    if end is None:
        for condition in status.get("conditions") or []:
            if (
                condition.get("type") in ("Complete", "Failed")
                and condition.get("status") == "True"
            ):
                end = _parse_time(condition.get("lastTransitionTime"))
                break
    if start is None or end is None:
        return None
    return max(0.0, (end - start).total_seconds())


def observe_job(job: Mapping[str, Any]) -> float | None:
    """Record a finished worker Job's duration once (keyed by its uid); the seconds, or None."""
    meta = job.get("metadata") or {}
    seconds = job_duration(job)
    name = (meta.get("labels") or {}).get(FRONTIER_LABEL)
    uid = meta.get("uid") or f"{meta.get('namespace')}/{meta.get('name')}"
    if seconds is None or not name or not _SEEN_JOBS.first_time(str(uid)):
        return None
    JOB_DURATION.labels(frontier=f"{meta.get('namespace') or 'default'}/{name}").observe(seconds)
    return seconds


def _parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --- from the store: one pass per frontier ------------------------------------


@dataclass(frozen=True)
class RunPhase:
    run: str
    kind: str
    phase: str
    seconds: float


@dataclass
class FrontierNumbers:
    """Everything exported about one frontier, read from the store in one pass."""

    frontier: str
    bands: dict[str, BandSummary] = field(default_factory=dict)
    reward_mean: dict[str, float] = field(default_factory=dict)
    rollouts: dict[tuple[str, str], int] = field(default_factory=dict)
    tokens: dict[tuple[str, str], int] = field(default_factory=dict)
    cost_usd: dict[str, float] = field(default_factory=dict)
    candidates: dict[tuple[str, str], int] = field(default_factory=dict)
    admission_yield: float = 0.0
    saturation_events: int = 0
    rounds_without_admission: int = 0
    runs: list[RunPhase] = field(default_factory=list)
    spend: CostSummary = field(default_factory=lambda: CostSummary(lines=()))
    calibration: int | None = None
    """The latest calibration version of the item bank, if any."""
    abilities: dict[str, tuple[float, float]] = field(default_factory=dict)
    item_flags: dict[str, int] = field(default_factory=dict)
    placements: dict[str, PlacementResult] = field(default_factory=dict)
    """The latest finished placement of each placed model."""


class _FinishedRuns:
    """Totals and task means of finished runs, which no longer change: a scrape then
    queries only the runs in progress (keyed by phase and finish time, so a run that is
    resumed or re-finished is read again). Likewise the flag counts of a calibration."""

    def __init__(self) -> None:
        self.totals: dict[tuple[str, str, datetime | None], RunTotals] = {}
        self.means: dict[tuple[str, str, datetime | None], dict[str, float]] = {}
        self.used: set[tuple[str, str, datetime | None]] = set()
        self.this_pass: dict[tuple[str, str, datetime | None], RunTotals] = {}
        self.flags: dict[tuple[str, int], dict[str, int]] = {}
        """Flag counts per (frontier, calibration version): a calibration never changes."""

    def mark(self, run: RunRecord) -> tuple[str, str, datetime | None]:
        """The run's cache key, noted as read in this pass."""
        key = (run.name, run.phase, run.finished_at)
        self.used.add(key)
        return key

    def run_totals(self, store: Store, run: RunRecord) -> RunTotals:
        key = self.mark(run)
        if key in self.totals:
            return self.totals[key]
        if key in self.this_pass:
            return self.this_pass[key]
        totals = store.run_totals(run.name)
        if run.phase in FINISHED_RUN_PHASES:
            self.totals[key] = totals
        else:  # read once per pass (rollouts and spend both use it)
            self.this_pass[key] = totals
        return totals

    def task_means(self, store: Store, run: RunRecord) -> dict[str, float]:
        key = self.mark(run)
        if key in self.means:
            return self.means[key]
        means = run_means(store, run)
        if run.phase in FINISHED_RUN_PHASES:
            self.means[key] = means
        return means

    def item_flags(self, store: Store, key: str, version: int) -> dict[str, int]:
        """How many items calibration `version` flags, by flag (its items read once)."""
        if (key, version) not in self.flags:
            found = store.calibration(key, version)
            items = found.calibration.items if found else ()
            self.flags = {k: v for k, v in self.flags.items() if k[0] != key}  # older versions
            self.flags[(key, version)] = {
                flag: sum(1 for i in items if i.flag == flag)
                for flag in ("suspect_grading", "uninformative")
            }
        return self.flags[(key, version)]

    def forget_unused(self) -> None:
        """After a pass: forget runs it did not read (deleted, or their phase changed)."""
        self.totals = {k: v for k, v in self.totals.items() if k in self.used}
        self.means = {k: v for k, v in self.means.items() if k in self.used}
        self.used = set()
        self.this_pass = {}


def read_frontier(
    store: Store,
    record: FrontierRecord,
    *,
    now: datetime | None = None,
    finished: _FinishedRuns | None = None,
) -> FrontierNumbers:
    """The exported numbers of one frontier: 0-valued where nothing happened yet."""
    moment = now or datetime.now(UTC)
    cache = finished or _FinishedRuns()
    key = record.key
    out = FrontierNumbers(frontier=key)
    try:
        spec: FrontierSpec | None = FrontierSpec.model_validate(record.spec)
    except ValidationError as exc:  # stored by another version: export what needs no spec
        fields = ", ".join(".".join(str(p) for p in e["loc"]) for e in exc.errors())
        log.warning("metrics: the stored spec of %s does not parse at %s", key, fields)
        spec = None
    runs = store.runs(key)

    models = [spec.solver.name, *(v.name for v in spec.verifiers)] if spec else []
    models += sorted({r.model_name for r in runs} - set(models))
    for model in models:
        for status in STATUSES:
            out.rollouts[(model, status)] = 0
        for direction in DIRECTIONS:
            out.tokens[(model, direction)] = 0
        out.cost_usd[model] = 0.0
    for run in runs:
        totals = cache.run_totals(store, run)
        out.rollouts[(run.model_name, "ok")] += totals.ok
        # every errored attempt, also those a later wave replayed: a counter never goes down
        out.rollouts[(run.model_name, "error")] += totals.errored_attempts
        out.tokens[(run.model_name, "input")] += totals.input_tokens
        out.tokens[(run.model_name, "output")] += totals.output_tokens
        out.cost_usd[run.model_name] += totals.cost_usd
        if run.phase not in FINISHED_RUN_PHASES:
            seconds = max(0.0, (moment - _aware(run.created_at)).total_seconds())
            out.runs.append(RunPhase(_short(run.name, record), run.kind, run.phase, seconds))
        elif run.kind == "placement" and (placed := placement_of(run)) is not None:
            out.placements[placed.model] = placed  # runs come oldest first: the latest wins

    if spec is not None:
        _task_numbers(store, key, spec, runs, cache, out)

    out.spend = spend_of(
        store,
        key,
        spec.budget if spec is not None else None,
        totals=lambda run: cache.run_totals(store, run),
    )
    history = store.calibrations(key)  # without their items: abilities and versions
    if history:
        latest = history[-1]
        out.calibration = latest.version
        out.abilities = {a.model: (a.theta, a.se) for a in latest.calibration.abilities}
        out.item_flags = cache.item_flags(store, key, latest.version)
    counts = store.candidate_counts(key)
    # Only decided candidates count: a decision is final, so the counter never goes down.
    out.candidates[("admitted", "")] = counts.admitted
    for reason in [r.value for r in Reason] + sorted(set(counts.by_reason) - set(Reason)):
        out.candidates[("rejected", reason)] = counts.by_reason.get(reason, 0)
    out.admission_yield = counts.admission_yield
    out.saturation_events = len(store.events(key, reason="SaturationDetected"))
    for round_ in reversed(store.rounds(key)):
        if round_.phase not in FINISHED_PHASES:
            continue
        if RoundStats.from_wire(round_.stats).admitted > 0:
            break
        out.rounds_without_admission += 1
    return out


def _task_numbers(
    store: Store,
    key: str,
    spec: FrontierSpec,
    runs: list[RunRecord],
    cache: _FinishedRuns,
    out: FrontierNumbers,
) -> None:
    """Bands and mean reward per model: the solver's view (as the Frontier's status has it,
    finished runs' means read from the cache); each verifier over its latest verification run."""
    view = read_solver_view(
        store, key, spec, runs=runs, means_of=lambda run: cache.task_means(store, run)
    )
    out.bands[view.model] = view.summary
    if view.reward_mean is not None:
        out.reward_mean[view.model] = view.reward_mean
    for verifier in spec.verifiers:
        latest = [r for r in runs if r.model_name == verifier.name and r.kind == "verification"]
        means = cache.task_means(store, latest[-1]) if latest else {}
        out.bands[verifier.name] = summarize(partition(means, spec.bands).values())
        if means:
            out.reward_mean[verifier.name] = sum(means.values()) / len(means)


def _short(run: str, record: FrontierRecord) -> str:
    """A run's Kubernetes name: the store keys runs by `namespace/name`."""
    prefix = f"{record.namespace}/"
    return run[len(prefix) :] if run.startswith(prefix) else run


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --- the collector ------------------------------------------------------------


def families(numbers: list[FrontierNumbers]) -> list[Metric]:
    """The store-derived metric families of these frontiers."""
    tasks = GaugeMetricFamily(
        "frontier_tasks",
        "Tasks per band: the solver over the current slice (or base tasks before one), "
        "each verifier over its latest verification run.",
        labels=["frontier", "model", "band"],
    )
    reward = GaugeMetricFamily(
        "frontier_reward_mean",
        "Mean reward in [0, 1] over the same tasks as frontier_tasks.",
        labels=["frontier", "model"],
    )
    rollouts = CounterMetricFamily(
        "frontier_rollouts",
        "Rollouts by status; error counts every attempt that ended in a harness error (never "
        "a model failure), also those a later wave replayed.",
        labels=["frontier", "model", "status"],
    )
    tokens = CounterMetricFamily(
        "frontier_tokens", "Tokens used by rollouts.", labels=["frontier", "model", "direction"]
    )
    cost = CounterMetricFamily(
        "frontier_cost_usd",
        "Rollout cost in USD, from each model's pricing.",
        labels=["frontier", "model"],
    )
    candidates = CounterMetricFamily(
        "frontier_candidates",
        "Decided teacher candidates by decision and rejection reason.",
        labels=["frontier", "decision", "reason"],
    )
    yield_ = GaugeMetricFamily(
        "frontier_admission_yield", "Admitted / generated candidates.", labels=["frontier"]
    )
    saturations = CounterMetricFamily(
        "frontier_saturation_events",
        "Times the saturation policy was crossed.",
        labels=["frontier"],
    )
    dry = GaugeMetricFamily(
        "frontier_rounds_without_admission",
        "Finished mutation rounds since the last one that admitted a candidate.",
        labels=["frontier"],
    )
    phase = GaugeMetricFamily(
        "frontier_run_phase",
        "1 for the current phase of each run in progress.",
        labels=["frontier", "run", "kind", "phase"],
    )
    phase_seconds = GaugeMetricFamily(
        "frontier_run_phase_seconds",
        "Seconds since each run in progress was created (the store keeps no per-phase times).",
        labels=["frontier", "run", "kind", "phase"],
    )
    stage_tokens = CounterMetricFamily(
        "frontier_stage_tokens",
        "Tokens by stage (profile, teacher, candidates, verification) and model.",
        labels=["frontier", "stage", "model", "direction"],
    )
    stage_cost = CounterMetricFamily(
        "frontier_stage_cost_usd",
        "Cost in USD by stage and model, from each model's pricing (the teacher's included).",
        labels=["frontier", "stage", "model"],
    )
    per_rollout = GaugeMetricFamily(
        "frontier_cost_per_rollout_usd",
        "Cost / attempted rollouts, by rollout stage and model (absent when none).",
        labels=["frontier", "stage", "model"],
    )
    per_success = GaugeMetricFamily(
        "frontier_cost_per_success_usd",
        "Cost / fully successful rollouts, by rollout stage and model (absent when none).",
        labels=["frontier", "stage", "model"],
    )
    per_dollar = GaugeMetricFamily(
        "frontier_accuracy_per_dollar",
        "Success rate / mean cost per rollout in USD (CLEAR's cost-normalized accuracy / 100); "
        "absent when nothing was paid.",
        labels=["frontier", "stage", "model"],
    )
    per_admitted = GaugeMetricFamily(
        "frontier_cost_per_admitted_task_usd",
        "(Teacher + candidate rollouts cost) / admitted candidates (absent before one).",
        labels=["frontier"],
    )
    since_slice = GaugeMetricFamily(
        "frontier_spend_since_last_slice_usd",
        "Cost recorded since the latest slice version was published (all of it before one).",
        labels=["frontier"],
    )
    calibration = GaugeMetricFamily(
        "frontier_calibration_version",
        "The latest calibration (2PL item-response fit) of the frontier's item bank.",
        labels=["frontier"],
    )
    theta = GaugeMetricFamily(
        "frontier_ability_theta",
        "Each model's ability on the item bank's scale (anchored on the base tasks), latest "
        "calibration.",
        labels=["frontier", "model"],
    )
    theta_se = GaugeMetricFamily(
        "frontier_ability_theta_se",
        "The standard error of frontier_ability_theta.",
        labels=["frontier", "model"],
    )
    flagged = GaugeMetricFamily(
        "frontier_items_flagged",
        "Tasks the latest calibration flags: suspect_grading (negative discrimination, its "
        "p-value passing a 10% false discovery rate) or uninformative (discrimination near 0).",
        labels=["frontier", "flag"],
    )
    placed = GaugeMetricFamily(
        "frontier_placement_theta",
        "A placed model's ability from its adaptive test (latest placement), on the scale of "
        "the calibration it was placed on.",
        labels=["frontier", "model", "calibration"],
    )
    placed_se = GaugeMetricFamily(
        "frontier_placement_theta_se",
        "The standard error of frontier_placement_theta (item calibration error included).",
        labels=["frontier", "model", "calibration"],
    )
    placed_items = GaugeMetricFamily(
        "frontier_placement_items_asked",
        "How many tasks a placed model's adaptive test asked.",
        labels=["frontier", "model"],
    )
    forecast = GaugeMetricFamily(
        "frontier_placement_expected_pass",
        "A placed model's expected pass@1 on each slice version, from the item bank.",
        labels=["frontier", "model", "slice_version"],
    )
    for n in numbers:
        f = n.frontier
        for model, result in n.placements.items():
            version = str(result.calibration)
            placed.add_metric([f, model, version], result.theta)
            placed_se.add_metric([f, model, version], result.se)
            placed_items.add_metric([f, model], len(result.items))
            for slice_ in result.slices:
                forecast.add_metric([f, model, str(slice_.version)], slice_.expected_pass)
        if n.calibration is not None:
            calibration.add_metric([f], n.calibration)
        for model, (value, se) in n.abilities.items():
            theta.add_metric([f, model], value)
            theta_se.add_metric([f, model], se)
        for flag, count in n.item_flags.items():
            flagged.add_metric([f, flag], count)
        for line in n.spend.lines:
            labels = [f, line.stage, line.model]
            stage_tokens.add_metric([*labels, "input"], line.input_tokens)
            stage_tokens.add_metric([*labels, "output"], line.output_tokens)
            stage_cost.add_metric(labels, line.cost_usd)
            for family, figure in (
                (per_rollout, line.cost_per_rollout),
                (per_success, line.cost_per_success),
                (per_dollar, line.accuracy_per_dollar),
            ):
                if figure is not None:
                    family.add_metric(labels, figure)
        if n.spend.cost_per_admitted is not None:
            per_admitted.add_metric([f], n.spend.cost_per_admitted)
        since_slice.add_metric([f], n.spend.since_last_slice_usd)
        for model, summary in n.bands.items():
            for band in BAND_ORDER:
                tasks.add_metric([f, model, band.value], summary.count(band))
        for model, value in n.reward_mean.items():
            reward.add_metric([f, model], value)
        for (model, status), count in n.rollouts.items():
            rollouts.add_metric([f, model, status], count)
        for (model, direction), count in n.tokens.items():
            tokens.add_metric([f, model, direction], count)
        for model, usd in n.cost_usd.items():
            cost.add_metric([f, model], usd)
        for (decision, reason), count in n.candidates.items():
            candidates.add_metric([f, decision, reason], count)
        yield_.add_metric([f], n.admission_yield)
        saturations.add_metric([f], n.saturation_events)
        dry.add_metric([f], n.rounds_without_admission)
        for run in n.runs:
            phase.add_metric([f, run.run, run.kind, run.phase], 1)
            phase_seconds.add_metric([f, run.run, run.kind, run.phase], run.seconds)
    return [
        tasks,
        reward,
        rollouts,
        tokens,
        cost,
        stage_tokens,
        stage_cost,
        per_rollout,
        per_success,
        per_dollar,
        per_admitted,
        since_slice,
        candidates,
        yield_,
        saturations,
        dry,
        phase,
        phase_seconds,
        calibration,
        theta,
        theta_se,
        flagged,
        placed,
        placed_se,
        placed_items,
        forecast,
    ]


class StoreCollector(Collector):
    """Computes the store-derived series when scraped; results are reused for `max_age`
    seconds, so several Prometheus replicas scraping together cost one pass."""

    def __init__(
        self,
        store: Store,
        *,
        max_age: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.max_age = max_age
        self.clock = clock
        self._lock = threading.Lock()
        self._cached: tuple[float, list[Metric]] | None = None
        self._finished = _FinishedRuns()

    def describe(self) -> Iterator[Metric]:
        """The family names without touching the store (registering must not need it)."""
        return iter(families([]))

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            now = self.clock()
            if self._cached is None or now - self._cached[0] >= self.max_age:
                self._cached = (now, families(self.read()))
            return iter(self._cached[1])

    def read(self) -> list[FrontierNumbers]:
        """One pass over every frontier. An unreachable store fails the scrape (the
        target goes down and FrontierOperatorDown fires) rather than dropping series."""
        out: list[FrontierNumbers] = []
        for record in self.store.frontiers():
            try:
                out.append(read_frontier(self.store, record, finished=self._finished))
            except StoreUnavailableError:
                raise
            except Exception as exc:  # one frontier's problem must not hide the others
                log.warning("metrics: skipped frontier %s: %s", record.key, type(exc).__name__)
            # Every frontier has its Job-duration series, 0-valued until a Job finishes.
            JOB_DURATION.labels(frontier=record.key)
        self._finished.forget_unused()
        return out


def registry_for(store: Store, *, max_age: float = 5.0) -> CollectorRegistry:
    """What the operator serves: the store's series, its own histograms, process metrics."""
    registry = CollectorRegistry(auto_describe=True)
    registry.register(StoreCollector(store, max_age=max_age))
    registry.register(RECONCILE_DURATION)
    registry.register(JOB_DURATION)
    for standard in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
        registry.register(standard)
    return registry


# --- the HTTP endpoint --------------------------------------------------------


@dataclass
class MetricsServer:
    httpd: WSGIServer
    thread: threading.Thread

    @property
    def port(self) -> int:
        return int(self.httpd.server_port)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


def serve(store: Store, port: int = DEFAULT_PORT, addr: str = "0.0.0.0") -> MetricsServer:
    """Serve /metrics on `port` (0: any free port) in a daemon thread."""
    httpd, thread = start_http_server(port, addr=addr, registry=registry_for(store))
    server = MetricsServer(httpd, thread)
    log.info("serving Prometheus metrics on %s:%d/metrics", addr, server.port)
    return server


def port_from_env(environ: Mapping[str, str] | None = None) -> int:
    """FRONTIER_METRICS_PORT (default 9090, the port the chart and kustomize base expose)."""
    env = os.environ if environ is None else environ
    raw = env.get("FRONTIER_METRICS_PORT", "").strip()
    if not raw:
        return DEFAULT_PORT
    try:
        port = int(raw)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise ValueError(f"FRONTIER_METRICS_PORT must be a port number (0-65535), got {raw!r}")
    return port
