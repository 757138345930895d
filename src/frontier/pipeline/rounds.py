"""One teacher round's lifecycle: the store work of each step, and the driver for a single process.

`domain.rounds.next_step` reads the step a round needs from its recorded phase; the
functions here do each step's store work in one `Store.atomically` unit around the
heavy work (the teacher's proposals, the candidates' and verifiers' rollouts). Two
drivers run them: `run_round` below, in this process, and the operator's
MutationRound, which runs the heavy work as Jobs. Both therefore record the same
phases, stats and events.

Every step is idempotent, so running a round again after a crash or Ctrl-C
continues where it stopped: parents already mutated are skipped, stored rollouts
are not repeated, decided candidates stay decided, and an unchanged slice is not
republished.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from frontier.agents import EndpointPool
from frontier.domain import naming
from frontier.domain.rounds import (
    RoundPhase,
    RoundStats,
    RoundStep,
    needs_verification,
    next_step,
    slice_published_message,
)
from frontier.pipeline.admit import RetainResult, decide_round, register_candidates_run, retain
from frontier.pipeline.calibrate import calibrate
from frontier.pipeline.context import Context
from frontier.pipeline.mutate import mutate_shard
from frontier.pipeline.profile import finish_run, run_shard
from frontier.pipeline.rollouts import ProgressHook
from frontier.pipeline.verify import (
    VerificationSummary,
    finish_verification,
    latest_verification,
    refit_trigger,
    register_verification,
)
from frontier.store import CandidateCounts, RoundRecord, RunRecord

ProgressFactory = Callable[[str], ProgressHook | None]

ROUND_FINISHED = "RoundFinished"
SLICE_PUBLISHED = "SlicePublished"


def no_progress(_: str) -> ProgressHook | None:
    return None


def require_round(ctx: Context, number: int) -> RoundRecord:
    record = ctx.store.get_round(ctx.frontier, number)
    if record is None:
        raise LookupError(f"{ctx.frontier} has no round {number}")
    return record


def stats_of(record: RoundRecord) -> RoundStats:
    """A stored round's typed stats."""
    return RoundStats.from_wire(record.stats)


# --- the steps' store work ----------------------------------------------------


def begin_mutating(ctx: Context, number: int) -> RoundRecord:
    """Enter the teacher step (a round applied or started fresh is `Running` until then)."""
    record = require_round(ctx, number)
    if record.phase == RoundPhase.MUTATING:
        return record
    return ctx.store.set_round_phase(ctx.frontier, number, RoundPhase.MUTATING)


def begin_admitting(ctx: Context, number: int, shards: int = 1) -> RunRecord:
    """The teacher is done: register the candidates' run (`shards` Job indexes) and enter admission."""

    def unit() -> RunRecord:
        run = register_candidates_run(ctx, number, shards)
        if require_round(ctx, number).phase != RoundPhase.ADMITTING:
            ctx.store.set_round_phase(ctx.frontier, number, RoundPhase.ADMITTING)
        return run

    return ctx.store.atomically(unit)


@dataclass(frozen=True)
class Admission:
    """What admitting a round's candidates did, for its driver to report."""

    record: RoundRecord
    counts: CandidateCounts
    retained: RetainResult
    published: str | None
    """The SlicePublished message, when a new slice version was published."""
    finished: str | None
    """The RoundFinished message, when the round needs no verification and is done."""


def admit(ctx: Context, number: int) -> Admission:
    """Finish the candidates' run, decide every candidate, retain the next slice, and move the
    round on to verification, or finish it when there is nothing to verify: one unit."""
    return ctx.store.atomically(_admit, ctx, number)


def _admit(ctx: Context, number: int) -> Admission:
    finish_run(ctx, naming.candidates_run(ctx.name, number))
    counts = decide_round(ctx, number)
    retained = retain(ctx, number)
    published = None
    if retained.added or retained.dropped:
        published = slice_published_message(
            retained.slice.version, len(retained.slice.task_ids), retained.added, retained.dropped
        )
        ctx.store.add_event(
            ctx.frontier,
            SLICE_PUBLISHED,
            published,
            data={"version": retained.slice.version, "round": number},
        )
    stats = RoundStats(
        generated=counts.generated,
        admitted=counts.admitted,
        rejected=counts.rejected,
        by_reason=counts.by_reason,
        rollouts_spent=counts.rollouts_spent,
        slice_version=retained.slice.version,
    )
    if needs_verification(len(ctx.spec.verifiers), len(retained.slice.task_ids)):
        record = ctx.store.set_round_phase(
            ctx.frontier, number, RoundPhase.VERIFYING, stats=stats.to_wire()
        )
        return Admission(record, counts, retained, published, None)
    record, finished = _finish(ctx, number, stats)
    return Admission(record, counts, retained, published, finished)


def verified(ctx: Context, record: RoundRecord) -> bool:
    """Whether the slice the round published has been verified (or needs no verification)."""
    version = stats_of(record).slice_version
    if version is None or not ctx.spec.verifiers:
        return True
    return latest_verification(ctx, version) is not None


def finish(ctx: Context, number: int) -> tuple[RoundRecord, str]:
    """Mark the round Succeeded and record RoundFinished: one unit. Returns the record and
    the message (a round already finished is returned as it is, with no second event)."""
    return ctx.store.atomically(_finish, ctx, number)


def _finish(ctx: Context, number: int, stats: RoundStats | None = None) -> tuple[RoundRecord, str]:
    record = require_round(ctx, number)
    stats = stats or stats_of(record)
    message = stats.finished_message(number)
    if record.phase == RoundPhase.SUCCEEDED:
        return record, message
    record = ctx.store.set_round_phase(
        ctx.frontier, number, RoundPhase.SUCCEEDED, stats=stats.to_wire()
    )
    ctx.store.add_event(ctx.frontier, ROUND_FINISHED, message, data={"round": number})
    return record, message


def fail(ctx: Context, number: int, reason: str) -> RoundRecord:
    """Mark the round Failed for `reason` (a Job that failed for good)."""
    stats = {"reason": reason}
    return ctx.store.set_round_phase(ctx.frontier, number, RoundPhase.FAILED, stats=stats)


# --- the driver for one process -----------------------------------------------


@dataclass(frozen=True)
class RoundResult:
    number: int
    counts: CandidateCounts
    retained: RetainResult
    verification: VerificationSummary | None


async def run_round(
    ctx: Context,
    number: int,
    *,
    progress: ProgressFactory = no_progress,
    pool: EndpointPool | None = None,
) -> RoundResult:
    """Drive round `number` to its end in this process, from whatever step it is at."""
    own_pool = pool is None
    pool = pool if pool is not None else EndpointPool()
    try:
        return await _drive_round(ctx, number, progress, pool)
    finally:
        if own_pool:  # its HTTP sessions belong to this event loop
            await pool.aclose()


async def _drive_round(
    ctx: Context, number: int, progress: ProgressFactory, pool: EndpointPool
) -> RoundResult:
    admission: Admission | None = None
    verification: VerificationSummary | None = None
    while (step := next_step(require_round(ctx, number).phase)) is not RoundStep.DONE:
        if step is RoundStep.MUTATE:
            begin_mutating(ctx, number)
            await mutate_shard(
                ctx, number, pool=pool, progress=progress(f"round {number}: teacher")
            )
            begin_admitting(ctx, number)
        elif step is RoundStep.ROLL_OUT:
            run = register_candidates_run(ctx, number)
            await run_shard(ctx, run.name, 0, progress=progress(f"round {number}: candidates"))
            admission = admit(ctx, number)
        else:
            version = stats_of(require_round(ctx, number)).slice_version
            assert version is not None  # a round verifies only the slice it published
            verification = latest_verification(ctx, version)
            if verification is None:
                for vrun in register_verification(ctx, version):
                    label = f"verify v{version}: {vrun.model_name}"
                    await run_shard(ctx, vrun.name, 0, progress=progress(label))
                verification = finish_verification(ctx, version)
                calibrate(ctx, trigger=refit_trigger(version))
            finish(ctx, number)
    if admission is None:  # finished before this call: report it from the store
        admission = _admitted_before(ctx, number)
    return RoundResult(number, admission.counts, admission.retained, verification)


def _admitted_before(ctx: Context, number: int) -> Admission:
    record = require_round(ctx, number)
    version = stats_of(record).slice_version
    current = ctx.store.get_slice(ctx.frontier, version) if version is not None else None
    if current is None:
        raise LookupError(f"round {number} of {ctx.frontier} published no slice")
    counts = ctx.store.candidate_counts(ctx.frontier, round=number)
    return Admission(record, counts, RetainResult(current, current.size, 0, 0), None, None)
