"""Verify a slice version against stronger models: bands, pass metrics and overlap-hard canaries.

Each verifier model is its own run over the slice (so each can shard and resume
on its own); the summary combines them: per-model bands, pass@1, pass@k,
pass^k and best-of-k with bootstrap intervals, and the canaries every model
finds hard.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from frontier.domain import naming
from frontier.domain.bands import BandSummary, partition, summarize
from frontier.domain.canaries import Canaries, overlap_hard
from frontier.domain.metrics import SetMetrics, set_metrics
from frontier.domain.runs import RunStats, StoredRunPhase
from frontier.domain.specs import ModelRef, TaskSetRef
from frontier.pipeline.context import Context
from frontier.pipeline.profile import register_run
from frontier.store import RunRecord


def register_verification(
    ctx: Context, slice_version: int, models: list[ModelRef] | None = None, shards: int = 1
) -> list[RunRecord]:
    """One run per verifier model over the slice version (idempotent)."""
    return [
        register_run(
            ctx,
            naming.verification_run(ctx.name, slice_version, model.name),
            kind="verification",
            model=model,
            task_set=TaskSetRef(kind="slice", slice_version=slice_version),
            k=ctx.spec.verification.k,
            shards=shards,
            seed=ctx.spec.profile.seed + 7919 * slice_version,
        )
        for model in (models if models is not None else ctx.spec.verifiers)
    ]


@dataclass(frozen=True)
class ModelVerdict:
    model: str
    bands: BandSummary
    metrics: SetMetrics | None
    means: dict[str, float]

    def stats(self) -> RunStats:
        """The verdict as its run stores it."""
        return RunStats(model=self.model, bands=self.bands, metrics=self.metrics)

    def as_dict(self) -> dict[str, Any]:
        return self.stats().to_wire()


@dataclass(frozen=True)
class VerificationSummary:
    slice_version: int
    models: list[ModelVerdict]
    canaries: Canaries

    def headline(self) -> str:
        """One line for an Event: each model's saturated share and the canary count."""
        models = ", ".join(
            f"{v.model} saturated {v.bands.saturated}/{v.bands.total}" for v in self.models
        )
        return f"{models}; {self.canaries.count} overlap-hard"

    def as_dict(self) -> dict[str, Any]:
        return {
            "sliceVersion": self.slice_version,
            "models": [m.as_dict() for m in self.models],
            "overlapHard": {
                "count": self.canaries.count,
                "zeroOnAll": len(self.canaries.zero_on_all),
                "evaluated": self.canaries.evaluated,
                "taskIds": list(self.canaries.task_ids),
            },
        }


def summarize_runs(ctx: Context, runs: list[RunRecord], slice_version: int) -> VerificationSummary:
    verdicts: list[ModelVerdict] = []
    for run in runs:
        per_task = ctx.store.task_metrics(run.name)  # from the per-task sums, no traces read
        means = {t: m.mean_reward for t, m in per_task.items()}
        verdicts.append(
            ModelVerdict(
                model=run.model_name,
                bands=summarize(partition(means, ctx.spec.bands).values()),
                metrics=set_metrics(per_task, run.k, seed=ctx.spec.slice.seed),
                means=means,
            )
        )
    canaries = overlap_hard(
        {v.model: v.means for v in verdicts}, ctx.spec.verification.overlap_hard_below
    )
    return VerificationSummary(slice_version, verdicts, canaries)


def finish_verification(
    ctx: Context, slice_version: int, runs: list[RunRecord] | None = None
) -> VerificationSummary:
    """Summarize every verifier's run of the slice (default: the spec's verifiers) and finish
    them; the driver refits the item bank next (`refit_trigger`), outside this transaction."""
    names = (
        [r.name for r in runs]
        if runs is not None
        else [
            ctx.run_key(naming.verification_run(ctx.name, slice_version, model.name))
            for model in ctx.spec.verifiers
        ]
    )
    fresh = [ctx.store.require_run(name) for name in names]
    summary = summarize_runs(ctx, fresh, slice_version)
    for run, verdict in zip(fresh, summary.models, strict=True):
        ctx.store.set_run_phase(run.name, StoredRunPhase.SUCCEEDED, stats=verdict.stats().to_wire())
    ctx.store.add_event(
        ctx.frontier,
        "SliceVerified",
        f"slice v{slice_version}: {summary.headline()}",
        data=summary.as_dict(),
    )
    return summary


def refit_trigger(slice_version: int) -> str:
    """What a calibration after a slice's verification says prompted it."""
    return f"verification of slice v{slice_version}"


def latest_verification(ctx: Context, slice_version: int) -> VerificationSummary | None:
    """The summary of a slice's verification, if every verifier has a finished run."""
    names = {
        ctx.run_key(naming.verification_run(ctx.name, slice_version, m.name))
        for m in ctx.spec.verifiers
    }
    runs = [r for r in ctx.store.runs(ctx.frontier, kind="verification") if r.name in names]
    if (
        not runs
        or len(runs) != len(names)
        or any(r.phase != StoredRunPhase.SUCCEEDED for r in runs)
    ):
        return None
    return summarize_runs(ctx, sorted(runs, key=lambda r: r.name), slice_version)
