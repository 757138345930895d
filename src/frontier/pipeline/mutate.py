"""Mutate and screen: the teacher proposes variants of boundary parents; the screen rejects bad ones.

Parents are chosen from the solver's latest view of every task the frontier
holds (base tasks and admitted candidates). Each proposal is checked before a
single rollout is spent on it: malformed, ungrounded, duplicate and
near-duplicate candidates are recorded as rejected with their reason, and so
(with `admission.predictBand`) is a candidate the solver's recorded answers to its
saturated parent still saturate (`predicted_saturated`); the rest become tasks,
pending admission. A parent is marked done only after all of its
candidates and decisions are stored, so a crash mid-parent redoes that parent
(idempotently) and never leaves a screened-out candidate pending.
"""

from __future__ import annotations

import hashlib
import random
from collections import defaultdict
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
from frontier.domain.admission import SCREEN_REASONS, Decision, Novelty, Reason, novelty, screen
from frontier.domain.injection import (
    DEFAULT_RULES,
    InjectionRules,
    addressed_to_the_harness,
    compile_rules,
)
from frontier.domain.interfaces import Benchmark
from frontier.domain.parents import select_parents
from frontier.domain.prediction import predict_band, skip_by_prediction
from frontier.domain.similarity import shingle_pool, shingles
from frontier.domain.tasks import FinalAnswer, Rollout, Task
from frontier.pipeline.budget import check_teacher
from frontier.pipeline.context import Context
from frontier.pipeline.profile import stored_changes
from frontier.pipeline.rollouts import ProgressHook
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


def replayed_rewards(
    benchmark: Benchmark, child: Task, parent_rollouts: list[Rollout]
) -> list[float]:
    """The child's grader applied to the final answers the solver recorded on the parent.

    Only successful rollouts that recorded whether they answered count; one that
    finished without an answer is graded as no answer, as it was on the parent.
    """
    rewards: list[float] = []
    for r in parent_rollouts:
        if not r.ok or "answered" not in r.trace:
            continue
        content = r.trace.get("answer")
        answer = FinalAnswer(content=content) if isinstance(content, dict) else None
        rewards.append(benchmark.grade(child, answer).reward)
    return rewards


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


def unrelated(pool: dict[str, frozenset[str]], kin: set[str]) -> dict[str, frozenset[str]]:
    """The similarity pool without the candidate's own mutation tree (same root task).

    A grounded mutation restates its parent's request plus one changed
    constraint, so it reads almost like every task of its tree by construction;
    the near-duplicate screen is for rewordings of other tasks. Exact duplicates
    are still caught by content id against every task.
    """
    return {task_id: s for task_id, s in pool.items() if task_id not in kin}


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


def _rejection_id(parent: Task, proposal: TeacherProposal, index: int) -> str:
    """A stable id for a rejected proposal that is not a task of its own.

    Used when the proposal has no task (malformed) or its task is already a
    candidate of this round, so its rejection cannot overwrite that candidate.
    """
    same_as = proposal.task.id if proposal.task is not None else ""
    key = f"{parent.id}:{index}:{proposal.motif}:{same_as}:{proposal.detail}"
    return hashlib.sha256(key.encode()).hexdigest()[:16]


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
    round_candidates = ctx.store.candidates(ctx.frontier, round=round_number)
    tasks = {t.id: t for t in ctx.store.get_tasks(ctx.frontier)}
    # tasks an unfinished parent of this round created before a crash are proposed again
    redo = {
        t
        for t, task in tasks.items()
        if task.lineage.round == round_number and task.lineage.parent_id not in done_parents
    }
    benchmark = ctx.screening_benchmark([t for t in tasks.values() if t.id not in redo])
    mine = [(i, p) for i, p in enumerate(parents) if i % shards == shard and i not in done]
    existing_ids = set(tasks)
    in_round = {c.task_id for c in round_candidates}
    origin = "llm" if ctx.spec.teacher.kind == "llm" else "procedural"
    pool_shingles = shingle_pool((t.id, t.query) for t in tasks.values())
    history, own_answers = rollouts_by_task(ctx, [p for _, p in mine])
    predict = ctx.spec.admission.predict_band
    means = solver_view(ctx).means if predict else {}
    rules = (
        compile_rules(benchmark.injection_rules())
        if isinstance(benchmark, InjectionRules)
        else DEFAULT_RULES
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
        # A parent redone after a crash screens its proposals again as if for the first time.
        prior = {c.task_id for c in round_candidates if c.parent_id == parent_id}
        own = {
            t
            for t, task in tasks.items()
            if task.lineage.parent_id == parent_id and task.lineage.round == round_number
        }
        existing_ids -= own
        in_round -= prior
        for task_id in own:
            pool_shingles.pop(task_id, None)
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
        root = parent.lineage.root_id or parent.id
        kin = {t for t, task in tasks.items() if (task.lineage.root_id or t) == root}
        screened_in: list[Task] = []
        recorded: list[NewCandidate] = []
        for number, proposal in enumerate(proposals):
            report.proposed += 1
            decision: Decision | None
            task = proposal.task
            if task is None:
                task_id = _rejection_id(parent, proposal, number)
                decision = Decision.reject(
                    Reason.MALFORMED, proposal.detail or "the teacher's proposal was malformed"
                )
            else:
                task_id = task.id
                found = (
                    Novelty(duplicate_of=task.id, nearest_id=task.id, similarity=1.0)
                    if task.id in existing_ids
                    else novelty(task.id, task.query, existing_ids, unrelated(pool_shingles, kin))
                )
                decision = screen(
                    benchmark.check_grounding(task),
                    found,
                    ctx.spec.admission,
                    injection=addressed_to_the_harness([task.query, task.payload], rules),
                )
                if decision is None and predict:
                    replayed = replayed_rewards(benchmark, task, own_answers.get(parent_id, []))
                    decision = skip_by_prediction(
                        predict_band(replayed, ctx.spec.bands), means.get(parent_id), ctx.spec.bands
                    )
                if decision is not None and task.id in in_round:
                    task_id = _rejection_id(parent, proposal, number)
            recorded.append(
                NewCandidate(
                    task_id=task_id,
                    parent_id=parent.id,
                    motif=proposal.motif,
                    origin=task.lineage.origin if task is not None else origin,
                    decision=decision,
                )
            )
            in_round.add(task_id)
            if decision is None:
                assert task is not None
                screened_in.append(task)
                existing_ids.add(task.id)
                pool_shingles[task.id] = shingles(task.query)
                kin.add(task.id)
                report.screened_in += 1
            else:
                assert decision.reason is not None
                report.rejected[decision.reason.value] = (
                    report.rejected.get(decision.reason.value, 0) + 1
                )
        if screened_in:
            ctx.store.add_tasks(ctx.frontier, screened_in)
        # candidates and their screening decisions land in one transaction
        ctx.store.record_candidates(ctx.frontier, round_number, recorded)
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
                "screenedIn": len(screened_in),
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
