"""One summary of a frontier's state, shared by `frontier run`, `frontier status` and the operator.

It is built from the store alone, so it reads the same whichever process
produced the numbers.
"""

from __future__ import annotations

from typing import Any

from frontier.domain import naming
from frontier.domain.runs import RunStats
from frontier.pipeline.calibrate import calibration_summary
from frontier.pipeline.context import Context
from frontier.pipeline.cost import cost_summary
from frontier.pipeline.placement import placements
from frontier.pipeline.verify import latest_verification
from frontier.pipeline.view import solver_view
from frontier.store import RunRecord


def frontier_summary(ctx: Context) -> dict[str, Any]:
    store = ctx.store
    base_run = ctx.run_key(naming.base_profile_run_of(ctx.name, ctx.spec))
    runs = {r.name: r for r in store.runs(ctx.frontier)}
    bands_before = (
        store.band_counts(base_run, ctx.spec.bands).as_dict() if base_run in runs else None
    )
    solver = solver_view(ctx)
    counts = store.candidate_counts(ctx.frontier)
    current = store.get_slice(ctx.frontier)
    verification = latest_verification(ctx, current.version) if current else None
    rounds = store.rounds(ctx.frontier)
    slices = [
        s for v in store.slice_versions(ctx.frontier) if (s := store.get_slice(ctx.frontier, v))
    ]
    families = store.slice_families(ctx.frontier)
    return {
        "frontier": ctx.frontier,
        "solver": solver.model,
        "bands": {
            "baseTasks": bands_before,
            "current": solver.summary.as_dict(),
            "scope": "slice" if current else "base",
        },
        "candidates": {
            "generated": counts.generated,
            "admitted": counts.admitted,
            "rejected": counts.rejected,
            "pending": counts.pending,
            "rejectedByReason": dict(sorted(counts.by_reason.items())),
            "admissionYield": counts.admission_yield,
            "rolloutsSpent": counts.rollouts_spent,
            "rolloutsPerAdmitted": (counts.rollouts_spent / counts.admitted)
            if counts.admitted
            else None,
        },
        "rounds": [
            {
                "number": r.number,
                "trigger": r.trigger,
                "phase": r.phase,
                "fromSliceVersion": r.from_slice_version,
                "stats": r.stats,
            }
            for r in rounds
        ],
        "slices": [
            {
                "version": s.version,
                "size": len(s.task_ids),
                "families": families.get(s.version, {}),
            }
            for s in slices
        ],
        "sliceVersion": current.version if current else None,
        "sliceSize": len(current.task_ids) if current else 0,
        "verification": verification.as_dict() if verification else None,
        "overlapHard": verification.canaries.count if verification else None,
        "rollouts": {name: _totals(run) for name, run in runs.items() if run.stats},
        "cost": cost_summary(ctx).as_dict(),
        "calibration": calibration_summary(ctx),
        "placements": [p.to_wire() for p in placements(ctx)],
    }


def _totals(run: RunRecord) -> dict[str, Any] | None:
    """A run's stored rollout totals (None before it finished, and for a verdict)."""
    totals = RunStats.from_wire(run.stats).totals
    return totals.as_dict() if totals is not None else None
