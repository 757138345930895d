"""Everything the report shows, read from the store in one pass.

The figures and the page are drawn from these plain values only, so a test can
compare what the page says with what the store holds, and the drawing code
never touches the database.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from frontier.domain import naming
from frontier.domain.bands import (
    Band,
    BandSuccess,
    BandSummary,
    success_by_band,
)
from frontier.domain.canaries import group_by_pattern
from frontier.domain.cost import STAGES, CostSummary
from frontier.domain.irt import expected_pass
from frontier.domain.metrics import SetMetrics, TaskMetrics, set_metrics
from frontier.domain.placement import PlacementResult
from frontier.domain.rounds import RoundStats
from frontier.domain.runs import StoredRunPhase
from frontier.domain.specs import BandSpec
from frontier.domain.tasks import Rollout, Task
from frontier.pipeline.calibrate import SliceDifficulty, slice_difficulty, usable_items
from frontier.pipeline.context import Context
from frontier.pipeline.cost import cost_summary
from frontier.pipeline.placement import placements
from frontier.pipeline.verify import VerificationSummary, latest_verification
from frontier.pipeline.view import SolverView, solver_view
from frontier.store import CandidateCounts, NotFoundError, RunRecord, SliceRecord
from frontier.store.scrub import redact_text, scrub

Role = Literal["solver", "verifier"]
NO_MOTIF = "(none)"


@dataclass(frozen=True)
class ModelView:
    """One model over the reported task set: its bands, its pass metrics, and how often each
    band's rollouts fully succeeded (bands count partial credit; pass@1 does not)."""

    model: str
    role: Role
    bands: BandSummary
    metrics: SetMetrics | None
    band_success: dict[Band, BandSuccess] = field(default_factory=dict)
    errored_attempts: int = 0
    """Attempts that ended in a harness error, also those a later wave replayed."""
    replayed: int = 0

    @property
    def mean_reward(self) -> float | None:
        return self.metrics.mean_reward.estimate if self.metrics else None

    @property
    def pass_at_1(self) -> float | None:
        return self.metrics.pass_at_1.estimate if self.metrics else None

    def success_in(self, band: str) -> BandSuccess:
        return self.band_success.get(Band(band), BandSuccess())


@dataclass(frozen=True)
class BandPoint:
    """One model's bands over one task set: the base tasks, or a slice version."""

    scope: str
    model: str
    role: Role
    bands: BandSummary


@dataclass(frozen=True)
class RoundView:
    number: int
    trigger: str
    phase: str
    counts: CandidateCounts
    slice_version: int | None

    @property
    def rollouts_per_admitted(self) -> float | None:
        c = self.counts
        return c.rollouts_spent / c.admitted if c.admitted else None


@dataclass(frozen=True)
class SliceView:
    version: int
    parent_version: int | None
    size: int
    round: int | None
    created_at: datetime
    families: dict[str, int] = field(default_factory=dict)
    """How many of the version's tasks are of each benchmark family."""


@dataclass(frozen=True)
class LineageView:
    """Admitted tasks (every round) by family and motif, and how deep their mutation chains are."""

    by_family_motif: dict[tuple[str, str], int]
    depths: dict[int, int]

    @property
    def total(self) -> int:
        return sum(self.by_family_motif.values())

    @property
    def families(self) -> list[str]:
        return sorted({f for f, _ in self.by_family_motif})

    @property
    def motifs(self) -> list[str]:
        return sorted({m for _, m in self.by_family_motif})

    def family_total(self, family: str) -> int:
        return sum(n for (f, _), n in self.by_family_motif.items() if f == family)

    def motif_total(self, motif: str) -> int:
        return sum(n for (_, m), n in self.by_family_motif.items() if m == motif)


@dataclass(frozen=True)
class TraceView:
    """One rollout, scrubbed of anything key-shaped, to embed and link to by its anchor."""

    anchor: str
    task_id: str
    model: str
    attempt: int
    reward: float | None
    success: bool | None
    failed_checks: list[str]
    trace: dict[str, Any]


@dataclass(frozen=True)
class CanaryView:
    """One group of canaries (same root task and motif), shown by its hardest member."""

    task_id: str
    family: str
    motif: str
    query: str
    rewards: dict[str, float]
    worst: TraceView | None
    root_id: str
    others: tuple[str, ...] = ()
    """The group's other canaries, which the page lists without their text."""

    @property
    def count(self) -> int:
        return 1 + len(self.others)


@dataclass(frozen=True)
class SaturationView:
    """A SaturationDetected event and what it set off (a round, or what held it back)."""

    at: datetime
    message: str
    crossings: list[dict[str, Any]]
    held_by: str | None
    next_round: RoundView | None
    next_round_number: int | None


@dataclass(frozen=True)
class EventView:
    at: datetime
    type: str
    reason: str
    message: str


@dataclass(frozen=True)
class SuspectView:
    """A task the bank flags suspect_grading, with its response pattern weakest model first."""

    task_id: str
    a: float
    a_se: float
    b: float
    pattern: list[tuple[str, float, int, int]]
    """(model, theta, successes, trials), by ability."""


@dataclass(frozen=True)
class BankView:
    """The item bank: the latest calibration, abilities across versions, slice difficulty."""

    version: int
    anchor: str
    library: str
    items: int
    uninformative: int
    abilities: list[tuple[str, float, float, float]]
    """(model, theta, se, expected pass@1 on the bank), strongest first."""
    history: list[tuple[int, dict[str, tuple[float, float]]]]
    """(calibration version, {model: (theta, se)}), oldest first."""
    slices: list[SliceDifficulty]
    suspects: list[SuspectView]
    placements: list[PlacementResult]
    """Models placed on the bank by an adaptive test, oldest first."""


@dataclass(frozen=True)
class ReportData:
    frontier: str
    solver: str
    verifiers: list[str]
    bands_spec: BandSpec
    scope: str
    """What the model views cover: "slice vN" or "base tasks" before the first slice."""
    slice_version: int | None
    task_count: int
    models: list[ModelView]
    verified: bool
    band_history: list[BandPoint]
    rounds: list[RoundView]
    slices: list[SliceView]
    lineage: LineageView
    canaries: list[CanaryView]
    """One per group of canaries; `canary_count` counts every canary task."""
    canary_count: int
    canary_threshold: float
    canaries_evaluated: int
    saturations: list[SaturationView]
    events: list[EventView]
    cost: CostSummary = field(default_factory=lambda: CostSummary(lines=()))
    """What the frontier spent, per stage and model (the same read model as status)."""
    bank: BankView | None = None
    """The calibrated item bank; None before the first calibration."""
    generated_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def stages(self) -> tuple[str, ...]:
        return STAGES

    @property
    def slice_families(self) -> list[str]:
        """Every family any slice version holds, for one column each."""
        return sorted({f for s in self.slices for f in s.families})

    @property
    def traces(self) -> list[TraceView]:
        return [c.worst for c in self.canaries if c.worst is not None]


def collect(ctx: Context, slice_version: int | None = None) -> ReportData:
    """Read the report of a frontier for a slice version (the latest when None)."""
    store = ctx.store
    current = store.get_slice(ctx.frontier, slice_version)
    if current is None and slice_version is not None:
        versions = store.slice_versions(ctx.frontier)
        known = ", ".join(f"v{v}" for v in versions) or "none yet"
        raise NotFoundError(f"{ctx.frontier} has no slice version {slice_version} ({known})")
    solver = solver_view(ctx)
    if current is not None:
        task_ids = list(current.task_ids)
        scope = f"slice v{current.version}"
    else:  # no slice yet: the solver's view is over the base tasks
        task_ids = sorted(solver.scope)
        scope = "base tasks"
    verification = latest_verification(ctx, current.version) if current else None
    tasks = {t.id: t for t in store.get_tasks(ctx.frontier, ids=task_ids)}
    worst = (
        _worst_rollouts(ctx, verification, list(verification.canaries.task_ids))
        if verification
        else {}
    )
    rounds = _rounds(ctx)
    return ReportData(
        frontier=ctx.frontier,
        solver=ctx.spec.solver.name,
        verifiers=[m.name for m in ctx.spec.verifiers],
        bands_spec=ctx.spec.bands,
        scope=scope,
        slice_version=current.version if current else None,
        task_count=len(task_ids),
        models=[_solver_model(ctx, solver, task_ids), *_verifier_views(ctx, verification)],
        verified=verification is not None,
        band_history=_band_history(ctx, solver),
        rounds=rounds,
        slices=_slice_views(ctx),
        lineage=_lineage(ctx),
        canaries=_canaries(verification, tasks, worst) if current and verification else [],
        canary_count=verification.canaries.count if current and verification else 0,
        canary_threshold=ctx.spec.verification.overlap_hard_below,
        canaries_evaluated=verification.canaries.evaluated if verification else 0,
        saturations=_saturations(ctx, rounds),
        events=[
            EventView(e.at, e.type, e.reason, redact_text(e.message))
            for e in store.events(ctx.frontier)
        ],
        cost=cost_summary(ctx),
        bank=_bank(ctx),
    )


def _bank(ctx: Context) -> BankView | None:
    latest = ctx.store.calibration(ctx.frontier)
    if latest is None:
        return None
    cal = latest.calibration
    usable = usable_items(cal)
    thetas = {a.model: a.theta for a in cal.abilities}
    flagged = {i.task_id: i for i in cal.items if i.flag == "suspect_grading"}
    cells: dict[str, list[tuple[str, float, int, int]]] = {t: [] for t in flagged}
    for c in ctx.store.response_cells(ctx.frontier) if flagged else []:
        if c.task_id in cells and c.model in thetas:
            cells[c.task_id].append((c.model, thetas[c.model], c.successes, c.trials))
    return BankView(
        version=latest.version,
        anchor=cal.anchor,
        library=f"{cal.library} {cal.library_version}",
        items=len(cal.items),
        uninformative=sum(1 for i in cal.items if i.flag == "uninformative"),
        abilities=sorted(
            ((a.model, a.theta, a.se, expected_pass(a.theta, usable)) for a in cal.abilities),
            key=lambda row: -row[1],
        ),
        history=[
            (r.version, {a.model: (a.theta, a.se) for a in r.calibration.abilities})
            for r in ctx.store.calibrations(ctx.frontier)
        ],
        slices=slice_difficulty(ctx, cal),
        suspects=[
            SuspectView(t, i.a, i.a_se, i.b, sorted(cells[t], key=lambda row: row[1]))
            for t, i in sorted(flagged.items())
        ],
        placements=placements(ctx),
    )


def _solver_model(ctx: Context, view: SolverView, task_ids: list[str]) -> ModelView:
    """The solver's latest numbers on each task: its view's bands, with pass metrics from the
    same runs in the same order."""
    per_task: dict[str, TaskMetrics] = {}
    ks: set[int] = set()
    for run in view.runs:
        found = ctx.store.task_metrics(run.name, task_ids)
        if found:
            per_task.update(found)
            ks.add(run.k)
    # Base tasks and candidates are usually rolled out with the same k; if not, a task
    # with fewer rollouts than the largest k counts pass@k over all of them (min(k, n)).
    k = max(ks, default=ctx.spec.profile.k)
    errored, replayed = _errored_attempts(ctx, [r.name for r in view.runs])
    return ModelView(
        model=view.model,
        role="solver",
        bands=view.summary_over(task_ids),
        metrics=set_metrics(per_task, k, seed=ctx.spec.slice.seed),
        band_success=success_by_band(per_task, ctx.spec.bands, view.decided),
        errored_attempts=errored,
        replayed=replayed,
    )


def _errored_attempts(ctx: Context, runs: list[str]) -> tuple[int, int]:
    """(attempts that ended in a harness error, of those replayed) over these runs."""
    totals = [ctx.store.run_totals(run) for run in runs]
    return sum(t.errored_attempts for t in totals), sum(t.replayed for t in totals)


def _verifier_views(ctx: Context, verification: VerificationSummary | None) -> list[ModelView]:
    """The verifiers in the order the spec lists them."""
    if verification is None:
        return []
    order = {m.name: i for i, m in enumerate(ctx.spec.verifiers)}
    verdicts = sorted(verification.models, key=lambda v: order.get(v.model, len(order)))
    views = []
    for v in verdicts:
        run = ctx.run_key(naming.verification_run(ctx.name, verification.slice_version, v.model))
        per_task = ctx.store.task_metrics(run)
        errored, replayed = _errored_attempts(ctx, [run])
        views.append(
            ModelView(
                v.model,
                "verifier",
                v.bands,
                v.metrics,
                band_success=success_by_band(per_task, ctx.spec.bands),
                errored_attempts=errored,
                replayed=replayed,
            )
        )
    return views


def _band_history(ctx: Context, solver: SolverView) -> list[BandPoint]:
    """How the bands moved: the solver on the base tasks, then every model on each slice
    version (the solver's latest means over each version's tasks)."""
    store, spec = ctx.store, ctx.spec
    points: list[BandPoint] = []
    base = ctx.run_key(naming.base_profile_run_of(ctx.name, spec))
    if store.get_run(base) is not None:
        points.append(
            BandPoint("base", spec.solver.name, "solver", store.band_counts(base, spec.bands))
        )
    verifications: dict[int, list[RunRecord]] = {}
    for run in store.runs(ctx.frontier, kind="verification"):
        version = run.task_set.get("sliceVersion")
        if run.phase == StoredRunPhase.SUCCEEDED and isinstance(version, int):
            verifications.setdefault(version, []).append(run)
    order = {m.name: i for i, m in enumerate(spec.verifiers)}
    for s in store.slices(ctx.frontier):
        scope = f"v{s.version}"
        points.append(BandPoint(scope, solver.model, "solver", solver.summary_over(s.task_ids)))
        runs = sorted(
            verifications.get(s.version, []), key=lambda r: order.get(r.model_name, len(order))
        )
        points.extend(
            BandPoint(scope, r.model_name, "verifier", store.band_counts(r.name, spec.bands))
            for r in runs
        )
    return points


def _rounds(ctx: Context) -> list[RoundView]:
    views = []
    for r in ctx.store.rounds(ctx.frontier):
        views.append(
            RoundView(
                number=r.number,
                trigger=r.trigger,
                phase=r.phase,
                counts=ctx.store.candidate_counts(ctx.frontier, round=r.number),
                slice_version=RoundStats.from_wire(r.stats).slice_version,
            )
        )
    return views


def _slice_views(ctx: Context) -> list[SliceView]:
    families = ctx.store.slice_families(ctx.frontier)
    return [_slice_view(s, families.get(s.version, {})) for s in ctx.store.slices(ctx.frontier)]


def _slice_view(s: SliceRecord, families: dict[str, int]) -> SliceView:
    round_number = s.stats.get("round")
    return SliceView(
        version=s.version,
        parent_version=s.parent_version,
        size=s.size,
        round=round_number if isinstance(round_number, int) else None,
        created_at=s.created_at,
        families=families,
    )


def _lineage(ctx: Context) -> LineageView:
    admitted = [c.task_id for c in ctx.store.candidates(ctx.frontier, decision="admitted")]
    tasks = ctx.store.get_tasks(ctx.frontier, ids=admitted)
    by_pair = Counter((t.family, t.lineage.motif or NO_MOTIF) for t in tasks)
    depths = Counter(t.lineage.depth for t in tasks)
    return LineageView(dict(sorted(by_pair.items())), dict(sorted(depths.items())))


def _canaries(
    verification: VerificationSummary, tasks: dict[str, Task], worst: dict[str, TraceView]
) -> list[CanaryView]:
    means = {v.model: v.means for v in verification.models}
    views = []
    for group in group_by_pattern(verification.canaries.task_ids, tasks, means):
        task_id = group.representative
        task = tasks.get(task_id)
        views.append(
            CanaryView(
                task_id=task_id,
                family=task.family if task else "?",
                motif=(task.lineage.motif or NO_MOTIF) if task else "?",
                query=redact_text(task.query) if task else "",
                rewards={v.model: v.means[task_id] for v in verification.models},
                worst=worst.get(task_id),
                root_id=group.root_id,
                others=group.others,
            )
        )
    return views


def _worst_rollouts(
    ctx: Context, verification: VerificationSummary, task_ids: list[str]
) -> dict[str, TraceView]:
    """Per task, the verifiers' lowest-reward ok rollout (first model, first attempt on ties)."""
    best: dict[str, tuple[float, str, Rollout]] = {}
    for verdict in verification.models:
        run = ctx.run_key(
            naming.verification_run(ctx.name, verification.slice_version, verdict.model)
        )
        for r in ctx.store.rollouts_for(run, task_ids, status="ok"):
            reward = r.reward if r.reward is not None else 0.0
            seen = best.get(r.task_id)
            if seen is None or reward < seen[0]:
                best[r.task_id] = (reward, verdict.model, r)
    return {task_id: trace_view(model, r) for task_id, (_, model, r) in best.items()}


def trace_view(model: str, rollout: Rollout) -> TraceView:
    """A rollout ready to embed: every string that could hold a key is redacted."""
    trace = scrub(rollout.trace)
    failed = trace.get("failed_checks")
    return TraceView(
        anchor=f"trace-{_anchor_part(rollout.task_id)}-{_anchor_part(model)}-{rollout.attempt}",
        task_id=rollout.task_id,
        model=model,
        attempt=rollout.attempt,
        reward=rollout.reward,
        success=rollout.success,
        failed_checks=[str(c) for c in failed] if isinstance(failed, list) else [],
        trace=trace,
    )


def _anchor_part(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in text)


def _saturations(ctx: Context, rounds: list[RoundView]) -> list[SaturationView]:
    by_number = {r.number: r for r in rounds}
    views = []
    for e in ctx.store.events(ctx.frontier, reason="SaturationDetected"):
        data = scrub(e.data)
        number = data.get("nextRound")
        crossings = data.get("crossings")
        held = data.get("heldBy")
        views.append(
            SaturationView(
                at=e.at,
                message=redact_text(e.message),
                crossings=[c for c in crossings if isinstance(c, dict)]
                if isinstance(crossings, list)
                else [],
                held_by=str(held) if held else None,
                next_round=by_number.get(number) if isinstance(number, int) else None,
                next_round_number=number if isinstance(number, int) else None,
            )
        )
    return views
