"""Admit: decide each screened candidate from its solver rollouts, then retain a new slice version.

Candidates are rolled out as an ordinary run (kind `candidates`, curtailed when
`admission.earlyStop` is on), so the same engine, store keys and resume
behaviour apply. Only hillclimbable candidates are admitted; the slice keeps
the current members that are still hillclimbable and fills up with new
admissions, spread across families and motifs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from frontier.domain import naming
from frontier.domain.admission import Decision, Novelty, decide
from frontier.domain.bands import Band
from frontier.domain.metrics import task_metrics
from frontier.domain.slicing import SliceCandidate, select_slice
from frontier.domain.specs import TaskSetRef
from frontier.domain.tasks import Grounding
from frontier.pipeline.calibrate import suspects
from frontier.pipeline.context import Context
from frontier.pipeline.profile import register_run
from frontier.pipeline.view import solver_view
from frontier.store import CandidateCounts, CandidateOutcome, RunRecord, SliceRecord


def register_candidates_run(ctx: Context, round_number: int, shards: int = 1) -> RunRecord:
    return register_run(
        ctx,
        naming.candidates_run(ctx.name, round_number),
        kind="candidates",
        model=ctx.spec.solver,
        task_set=TaskSetRef(kind="candidates", round=round_number),
        k=ctx.spec.admission.k,
        shards=shards,
        seed=ctx.spec.profile.seed + 1000 * round_number,
    )


def decide_round(ctx: Context, round_number: int) -> CandidateCounts:
    """Decide every pending candidate of the round from its rollouts (idempotent)."""
    run_name = ctx.run_key(naming.candidates_run(ctx.name, round_number))
    pending = [
        c for c in ctx.store.candidates(ctx.frontier, round=round_number) if c.decision == "pending"
    ]
    rollouts = ctx.store.rollouts_for(run_name, [c.task_id for c in pending])
    metrics = task_metrics(rollouts)
    spent: dict[str, int] = {}
    for r in rollouts:
        spent[r.task_id] = spent.get(r.task_id, 0) + 1
    outcomes: list[CandidateOutcome] = []
    for c in pending:
        m = metrics.get(c.task_id)
        decision: Decision = decide(
            Grounding(grounded=True), Novelty(), m, ctx.spec.admission, ctx.spec.bands
        )
        outcomes.append(
            CandidateOutcome(
                task_id=c.task_id,
                decision=decision,
                mean_reward=m.mean_reward if m else None,
                rollouts_spent=spent.get(c.task_id, 0),
            )
        )
    ctx.store.decide_candidates(ctx.frontier, round_number, outcomes)
    return ctx.store.candidate_counts(ctx.frontier, round=round_number)


@dataclass(frozen=True)
class RetainResult:
    slice: SliceRecord
    kept: int
    added: int
    dropped: int


def retain(ctx: Context, round_number: int) -> RetainResult:
    """Publish the next slice version from the current slice and every admitted candidate."""
    current = ctx.store.get_slice(ctx.frontier)
    # each task's band by the rule of the run that scored it last (a posterior-rule
    # profile's bands are its posterior's, as the status and the report show them)
    decided = solver_view(ctx).decided
    suspect = suspects(ctx) if ctx.spec.calibration.exclude_suspect else set()
    admitted = [c for c in ctx.store.candidates(ctx.frontier) if c.decision == "admitted"]
    members = set(current.task_ids) if current else set()
    ids = members | {c.task_id for c in admitted}
    tasks = {t.id: t for t in ctx.store.get_tasks(ctx.frontier, ids=sorted(ids))}
    pool: list[SliceCandidate] = []
    for task_id in sorted(ids):
        task = tasks.get(task_id)
        if task is None or decided.get(task_id) is not Band.HILLCLIMBABLE:
            continue
        if task_id in suspect:  # likely mis-graded: it would measure the grader, not the model
            continue
        pool.append(
            SliceCandidate(
                task_id=task_id,
                family=task.family,
                motif=task.lineage.motif,
                priority=1.0 if task_id in members else 0.5,
            )
        )
    chosen = select_slice(pool, ctx.spec.slice.size, ctx.spec.slice.seed)
    if current is not None and set(chosen) == set(current.task_ids):  # order may differ on resume
        return RetainResult(current, len(chosen), 0, 0)
    version = (current.version if current else 0) + 1
    kept = len(set(chosen) & members)
    dropped = len(members - set(chosen))
    stats = {
        "round": round_number,
        "size": len(chosen),
        "kept": kept,
        "added": len(chosen) - kept,
        "dropped": dropped,
        "families": _count(tasks[t].family for t in chosen),
        "motifs": _count(tasks[t].lineage.motif or "base" for t in chosen),
    }
    record = ctx.store.publish_slice(
        ctx.frontier,
        version,
        chosen,
        stats=stats,
        parent_version=current.version if current else None,
    )
    return RetainResult(record, kept, len(chosen) - kept, dropped)


def _count(values: Iterable[str]) -> dict[str, int]:
    return dict(sorted(Counter(values).items()))
