"""One teacher round end to end, for a single process: mutate, roll out candidates, admit, retain, verify.

Every step is idempotent, so running a round again after a crash or Ctrl-C
continues where it stopped: parents already mutated are skipped, stored
rollouts are not repeated, decided candidates stay decided, and an unchanged
slice is not republished. The operator runs the same steps as Jobs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from frontier.agents import EndpointPool
from frontier.pipeline.admit import RetainResult, decide_round, register_candidates_run, retain
from frontier.pipeline.context import Context
from frontier.pipeline.mutate import mutate_shard
from frontier.pipeline.profile import finish_run, run_shard
from frontier.pipeline.rollouts import ProgressHook
from frontier.pipeline.verify import VerificationSummary, finish_verification, register_verification
from frontier.store import CandidateCounts

ProgressFactory = Callable[[str], ProgressHook | None]


def no_progress(_: str) -> ProgressHook | None:
    return None


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
    pool = pool if pool is not None else EndpointPool()
    store = ctx.store
    store.set_round_phase(ctx.frontier, number, "Mutating")
    await mutate_shard(ctx, number, pool=pool, progress=progress(f"round {number}: teacher"))
    store.set_round_phase(ctx.frontier, number, "Admitting")
    run = register_candidates_run(ctx, number)
    await run_shard(ctx, run.name, 0, progress=progress(f"round {number}: candidates"))
    finish_run(ctx, run.name)
    counts = decide_round(ctx, number)
    retained = retain(ctx, number)
    if retained.added or retained.dropped:
        store.add_event(
            ctx.frontier,
            "SlicePublished",
            f"slice v{retained.slice.version}: {len(retained.slice.task_ids)} tasks "
            f"({retained.added} added, {retained.dropped} dropped)",
            data={"version": retained.slice.version, "round": number},
        )
    verification: VerificationSummary | None = None
    if ctx.spec.verifiers and retained.slice.task_ids:
        store.set_round_phase(ctx.frontier, number, "Verifying")
        version = retained.slice.version
        for vrun in register_verification(ctx, version):
            await run_shard(
                ctx,
                vrun.name,
                0,
                progress=progress(f"verify v{version}: {vrun.model_name}"),
            )
        verification = finish_verification(ctx, version)
    store.set_round_phase(
        ctx.frontier,
        number,
        "Succeeded",
        stats={
            "generated": counts.generated,
            "admitted": counts.admitted,
            "rejected": counts.rejected,
            "byReason": counts.by_reason,
            "rolloutsSpent": counts.rollouts_spent,
            "admissionYield": counts.admission_yield,
            "sliceVersion": retained.slice.version,
        },
    )
    store.add_event(
        ctx.frontier,
        "RoundFinished",
        f"round {number}: {counts.admitted} of {counts.generated} candidates admitted "
        f"({counts.admission_yield:.1%}); slice v{retained.slice.version}",
        data={"round": number},
    )
    return RoundResult(number, counts, retained, verification)
