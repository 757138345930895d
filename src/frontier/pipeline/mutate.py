"""Mutate: the teacher proposes variants of boundary parents, the screen judges each, and
both are recorded.

Parents are chosen from the solver's latest view of every task the frontier
holds (base tasks and admitted candidates). Each proposal goes through the
screen (`pipeline.screening`, checks in `domain.screening`) before a single
rollout is spent on it; a rejected one is recorded with its reason, the rest
become tasks, pending admission. A parent is marked done only after all of its
candidates and decisions are stored, so a crash mid-parent redoes that parent
(idempotently) and never leaves a screened-out candidate pending.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from frontier.agents import EndpointPool, HarnessError
from frontier.agents.base import endpoint_url
from frontier.agents.teachers import (
    LLMTeacher,
    Teacher,
    TeacherProposal,
    build_teacher,
    failed_checks,
    summarize_failures,
)
from frontier.domain.admission import SCREEN_REASONS
from frontier.domain.parents import select_parents
from frontier.domain.screening import Verdict
from frontier.domain.tasks import Rollout
from frontier.pipeline.budget import check_teacher
from frontier.pipeline.context import Context
from frontier.pipeline.profile import stored_changes
from frontier.pipeline.rollouts import ProgressHook
from frontier.pipeline.screening import open_screen
from frontier.pipeline.view import is_solver_run, solver_view
from frontier.store import NewCandidate, TeacherSpend

STAGE = "mutate"
PROCEDURAL = "procedural"
"""The model name the procedural teacher's (zero) spend is stored under."""


@dataclass
class MutateReport:
    parents: int = 0
    proposed: int = 0
    screened_in: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    failed_parents: list[str] = field(default_factory=list)

    def count(self, verdicts: Sequence[Verdict]) -> None:
        """Count one parent's proposals: screened in, or rejected by reason."""
        for verdict in verdicts:
            self.proposed += 1
            if verdict.reason is None:
                self.screened_in += 1
            else:
                self.rejected[verdict.reason.value] = self.rejected.get(verdict.reason.value, 0) + 1


def rollouts_by_task(
    ctx: Context, task_ids: list[str]
) -> tuple[dict[str, list[Rollout]], dict[str, list[Rollout]]]:
    """These tasks' rollouts by every model (the teacher learns from the solver's and the
    verifiers' failures), and the solver's alone (band prediction replays them), read once."""
    every: dict[str, list[Rollout]] = defaultdict(list)
    solver: dict[str, list[Rollout]] = defaultdict(list)
    for run in ctx.store.runs(ctx.frontier):
        own = is_solver_run(run, ctx.spec)
        for r in ctx.store.rollouts_for(run.name, task_ids):
            every[r.task_id].append(r)
            if own:
                solver[r.task_id].append(r)
    return every, solver


def choose_parents(ctx: Context, round_number: int) -> list[str]:
    """This round's parents, learning from how earlier rounds' children fared.

    A task already mutated in an earlier round is not chosen again: the
    procedural teacher would mostly propose the same children, which the
    screen rejects as duplicates.
    """
    spec = ctx.spec.mutation
    rng = random.Random(f"{spec.seed}:parents:{round_number}")
    means = solver_view(ctx).means
    earlier = [c for c in ctx.store.candidates(ctx.frontier) if c.round < round_number]
    history = [
        (means[c.parent_id], c.decision == "admitted")
        for c in earlier
        if c.parent_id in means
        and c.decision != "pending"
        and (c.reason is None or c.reason not in SCREEN_REASONS)
    ]
    return select_parents(
        means,
        ctx.spec.bands,
        spec.parents_per_round,
        spec.parent_selection,
        rng,
        exclude=frozenset(c.parent_id for c in earlier if c.parent_id is not None),
        history=history,
    )


def round_parents(ctx: Context, round_number: int) -> list[str]:
    """The round's parents: chosen and recorded when its teacher first starts, then read back.

    Choosing again on resume would see the round's own admitted children (and
    their means) and pick different parents, so the round would not finish as it began.
    """
    found = ctx.store.get_round(ctx.frontier, round_number)
    if found is not None and found.parents is not None:
        return list(found.parents)
    chosen = choose_parents(ctx, round_number)
    if found is None:
        return chosen
    return ctx.store.record_round_parents(ctx.frontier, round_number, chosen)


class SpendMeter:
    """What a teacher spent on each parent: the change of its usage across one proposal.

    The procedural teacher calls no model, so it spends nothing (stored as 0 tokens).
    """

    def __init__(self, teacher: Teacher) -> None:
        self.teacher = teacher
        self.mark = self._now()

    def _now(self) -> tuple[int, int, int, int]:
        if not isinstance(self.teacher, LLMTeacher):
            return (0, 0, 0, 0)
        u = self.teacher.usage
        return (u.requests, u.input_tokens, u.output_tokens, u.missing_usage)

    def take(self) -> TeacherSpend:
        """The spend since the last `take` (or since the meter started)."""
        now = self._now()
        requests, tokens_in, tokens_out, missing = (
            a - b for a, b in zip(now, self.mark, strict=True)
        )
        self.mark = now
        if not isinstance(self.teacher, LLMTeacher):
            return TeacherSpend(model=PROCEDURAL)
        pricing = self.teacher.model.pricing
        return TeacherSpend(
            model=self.teacher.model.name,
            requests=requests,
            input_tokens=tokens_in,
            output_tokens=tokens_out,
            missing_usage=missing,
            cost_usd=(
                tokens_in * pricing.input_per_million + tokens_out * pricing.output_per_million
            )
            / 1_000_000,
        )


def spend_detail(spend: TeacherSpend) -> dict[str, object]:
    """A parent's spend as its shard record's detail shows it."""
    return {
        "model": spend.model,
        "requests": spend.requests,
        "inputTokens": spend.input_tokens,
        "outputTokens": spend.output_tokens,
        "costUsd": spend.cost_usd,
    }


def round_scope(ctx: Context, round_number: int) -> str:
    return f"{ctx.frontier}#round-{round_number}"


async def mutate_shard(
    ctx: Context,
    round_number: int,
    shard: int = 0,
    shards: int = 1,
    *,
    pool: EndpointPool | None = None,
    progress: ProgressHook | None = None,
) -> MutateReport:
    """Propose and screen candidates for this shard's parents. Re-running skips parents already done.

    An LLM teacher's concurrency changes are stored with the round, as a run stores its solver's.
    `progress` hears (parents handled, parents of this shard left at the start) per parent.
    """
    own_pool = pool is None
    pool = pool if pool is not None else EndpointPool()
    model = ctx.spec.teacher.model if ctx.spec.teacher.kind == "llm" else None
    # only this shard's changes: a shared pool's limiter may have served earlier rounds
    limits = pool.get(model, endpoint_url(model)).limiter.watch() if model is not None else None
    try:
        return await _mutate(ctx, round_number, shard, shards, pool, progress)
    finally:
        if limits is not None:
            ctx.store.record_round_concurrency(
                ctx.frontier, round_number, stored_changes(limits.changes()), shard=shard
            )
        if own_pool:
            await pool.aclose()


def _record(
    ctx: Context,
    round_number: int,
    parent_id: str,
    proposals: Sequence[TeacherProposal],
    verdicts: Sequence[Verdict],
    origin: str,
) -> int:
    """Store one parent's screened-in tasks, then its candidates and their decisions in one
    transaction. Returns how many were screened in."""
    screened_in = [v.task for v in verdicts if v.screened_in and v.task is not None]
    if screened_in:
        ctx.store.add_tasks(ctx.frontier, screened_in)
    ctx.store.record_candidates(
        ctx.frontier,
        round_number,
        [
            NewCandidate(
                task_id=v.candidate_id,
                parent_id=parent_id,
                motif=proposal.motif,
                origin=v.task.lineage.origin if v.task is not None else origin,
                decision=v.decision,
            )
            for proposal, v in zip(proposals, verdicts, strict=True)
        ],
    )
    return len(screened_in)


async def _mutate(
    ctx: Context,
    round_number: int,
    shard: int,
    shards: int,
    pool: EndpointPool,
    progress: ProgressHook | None,
) -> MutateReport:
    report = MutateReport()
    model = ctx.spec.teacher.model if ctx.spec.teacher.kind == "llm" else None
    scope = round_scope(ctx, round_number)
    parents = round_parents(ctx, round_number)
    done = ctx.store.done_shards(ctx.frontier, STAGE, scope)
    done_parents = {parents[i] for i in done if i < len(parents)}
    tasks = {t.id: t for t in ctx.store.get_tasks(ctx.frontier)}
    # tasks an unfinished parent of this round created before a crash are proposed again
    redo = {
        t
        for t, task in tasks.items()
        if task.lineage.round == round_number and task.lineage.parent_id not in done_parents
    }
    benchmark = ctx.screening_benchmark([t for t in tasks.values() if t.id not in redo])
    mine = [(i, p) for i, p in enumerate(parents) if i % shards == shard and i not in done]
    origin = "llm" if ctx.spec.teacher.kind == "llm" else "procedural"
    history, own_answers = rollouts_by_task(ctx, [p for _, p in mine])
    screen = open_screen(
        ctx,
        round_number,
        benchmark,
        tasks.values(),
        ctx.store.candidates(ctx.frontier, round=round_number),
        answers=own_answers,
        means=solver_view(ctx).means if ctx.spec.admission.predict_band else {},
    )
    teacher = build_teacher(
        ctx.spec.teacher, benchmark, motif_selection=ctx.spec.mutation.motif_selection, pool=pool
    )
    meter = SpendMeter(teacher)
    spender = model.name if model is not None else PROCEDURAL
    if progress is not None:
        progress(0, len(mine))
    for handled, (index, parent_id) in enumerate(mine, start=1):
        parent = tasks[parent_id]
        # a parent redone after a crash is screened as if for the first time
        screen.begin(parent)
        check_teacher(ctx, spender, round_number)
        attempt = ctx.store.shard_started(ctx.frontier, STAGE, scope, index).attempts
        meter.take()
        report.parents += 1
        rng = random.Random(f"{ctx.spec.mutation.seed}:{round_number}:{parent_id}")
        past = history.get(parent_id, [])
        try:
            proposals = await teacher.propose(
                parent,
                failed_checks(past),
                ctx.spec.mutation.candidates_per_parent,
                rng,
                round_number,
                failure_summary=summarize_failures(past),
            )
        except HarnessError as exc:
            # The teacher's endpoint failed: not the parent's fault. Leave it undone for a retry.
            # What it was billed before failing still counts.
            ctx.store.record_teacher_usage(
                ctx.frontier, round_number, parent_id, attempt, meter.take()
            )
            ctx.store.shard_failed(ctx.frontier, STAGE, scope, index, error=str(exc))
            report.failed_parents.append(parent_id)
            if progress is not None:
                progress(handled, len(mine))
            continue
        verdicts = [screen.screen(proposal, number) for number, proposal in enumerate(proposals)]
        report.count(verdicts)
        screened_in = _record(ctx, round_number, parent_id, proposals, verdicts, origin)
        spend = meter.take()
        ctx.store.record_teacher_usage(ctx.frontier, round_number, parent_id, attempt, spend)
        ctx.store.shard_done(
            ctx.frontier,
            STAGE,
            scope,
            index,
            detail={
                "parent": parent_id,
                "proposed": len(proposals),
                "screenedIn": screened_in,
                "usage": spend_detail(spend),
            },
        )
        if progress is not None:
            progress(handled, len(mine))
    if report.failed_parents:
        raise HarnessError(
            f"round {round_number}: the teacher failed for {len(report.failed_parents)} of "
            f"{len(mine)} parents; run the stage again to retry them"
        )
    return report
