"""Refit the frontier's item bank after a profile or verification run, in the pipeline.

Every stored response of the frontier (every model, the base tasks and every slice
version's tasks) is fitted together, so tasks and models land on one scale; the scale
is anchored on the base tasks, which every refit shares, so versions stay comparable.
A fit is stored as a new, immutable calibration version; tasks it newly flags as
suspect_grading are posted as a Warning event. `slice_items` reads a version back out
for export beside a slice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import fmean, pstdev
from typing import Any

from frontier.domain.irt import Calibration, ItemParams, expected_pass
from frontier.pipeline.context import Context
from frontier.pipeline.irt import Responses, fit
from frontier.store import CalibrationRecord

SUSPECT_GRADING = "SuspectGrading"
CALIBRATED = "Calibrated"


def calibrate(ctx: Context, *, trigger: str) -> CalibrationRecord | None:
    """Fit and store the next calibration; None when calibration is off or too few models
    have graded rollouts yet (`calibration.minModels`).

    Call it outside any store transaction (the operator: `Runtime.offload`): the responses
    are read in one, the fit (CPU work, about a second at 5,000 tasks) runs in none, and
    the version and its SuspectGrading event are written in one.

    Args:
        ctx: the frontier.
        trigger: what prompted the refit (a run's name), stored with the version.
    """
    spec = ctx.spec.calibration
    if not spec.enabled:
        return None
    cells, anchors = ctx.store.atomically(_responses, ctx)
    if len(set(cells.models)) < spec.min_models:
        return None
    return ctx.store.atomically(
        _record, ctx, fit(cells, anchor_tasks=anchors or None), trigger=trigger
    )


def _responses(ctx: Context) -> tuple[Responses, list[str]]:
    """Every graded (model, task) count of the frontier, and the base tasks among them."""
    cells = ctx.store.response_cells(ctx.frontier)
    responses = Responses.from_cells((c.model, c.task_id, c.successes, c.trials) for c in cells)
    present = set(responses.tasks)
    return responses, [t for t in ctx.store.task_ids(ctx.frontier, origin="base") if t in present]


def _record(ctx: Context, fitted: Calibration, *, trigger: str) -> CalibrationRecord:
    """Store the fit as the next version; post the tasks it newly flags suspect_grading."""
    before = suspects(ctx)
    record = ctx.store.add_calibration(ctx.frontier, fitted, trigger=trigger)
    flagged = [i for i in record.calibration.items if i.flag == "suspect_grading"]
    new = [i for i in flagged if i.task_id not in before]
    if new:
        ctx.store.add_event(
            ctx.frontier,
            SUSPECT_GRADING,
            _suspect_message(record.version, new),
            type="Warning",
            data={"calibration": record.version, "tasks": [i.task_id for i in new]},
        )
    return record


def suspects(ctx: Context) -> set[str]:
    """The tasks the latest calibration flags suspect_grading."""
    latest = ctx.store.calibration(ctx.frontier)
    if latest is None:
        return set()
    return {i.task_id for i in latest.calibration.items if i.flag == "suspect_grading"}


def _suspect_message(version: int, items: list[ItemParams]) -> str:
    shown = ", ".join(f"{i.task_id} (a {i.a:.2f} ± {i.a_se:.2f})" for i in items[:5])
    more = f" and {len(items) - 5} more" if len(items) > 5 else ""
    return (
        f"calibration v{version}: {len(items)} task(s) may be mis-graded (the stronger the "
        f"model, the more it fails): {shown}{more}"
    )


@dataclass(frozen=True)
class SliceDifficulty:
    """One slice version against a calibration: its tasks' difficulties (suspect ones left
    out) and each model's expected pass@1 on them."""

    version: int
    difficulties: list[float]
    expected_pass: dict[str, float]


def usable_items(cal: Calibration) -> list[ItemParams]:
    """The items a score is computed over: every one not flagged suspect_grading."""
    return [i for i in cal.items if i.flag != "suspect_grading"]


def slice_members(ctx: Context, cal: Calibration) -> list[tuple[int, list[ItemParams]]]:
    """Every slice version with its usable calibrated tasks (none left out), oldest first."""
    items = {i.task_id: i for i in usable_items(cal)}
    out = []
    for version in ctx.store.slice_versions(ctx.frontier):
        found = ctx.store.get_slice(ctx.frontier, version)
        members = [items[t] for t in (found.task_ids if found else ()) if t in items]
        if members:
            out.append((version, members))
    return out


def slice_difficulty(ctx: Context, cal: Calibration) -> list[SliceDifficulty]:
    """Every slice version with a usable calibrated task, oldest first."""
    return [
        SliceDifficulty(
            version,
            [i.b for i in members],
            {a.model: expected_pass(a.theta, members) for a in cal.abilities},
        )
        for version, members in slice_members(ctx, cal)
    ]


def calibration_summary(ctx: Context) -> dict[str, Any] | None:
    """The item bank at a glance (status --json, the report): the latest calibration, each
    model's ability across calibrations, and each slice version's difficulty against it.
    None before the first calibration."""
    latest = ctx.store.calibration(ctx.frontier)
    if latest is None:
        return None
    cal = latest.calibration
    usable = usable_items(cal)
    slices = [
        {
            "version": d.version,
            "items": len(d.difficulties),
            "difficultyMean": fmean(d.difficulties),
            "difficultySd": pstdev(d.difficulties) if len(d.difficulties) > 1 else 0.0,
            "expectedPass": d.expected_pass,
        }
        for d in slice_difficulty(ctx, cal)
    ]
    return {
        "version": latest.version,
        "trigger": latest.trigger,
        "anchor": cal.anchor,
        "library": f"{cal.library} {cal.library_version}",
        "items": len(cal.items),
        "suspectGrading": sorted(i.task_id for i in cal.items if i.flag == "suspect_grading"),
        "uninformative": sum(1 for i in cal.items if i.flag == "uninformative"),
        "abilities": [
            {
                "model": a.model,
                "theta": a.theta,
                "se": a.se,
                "expectedPass": expected_pass(a.theta, usable),
            }
            for a in sorted(cal.abilities, key=lambda a: -a.theta)
        ],
        "history": [
            {
                "version": r.version,
                "abilities": {
                    a.model: {"theta": a.theta, "se": a.se} for a in r.calibration.abilities
                },
            }
            for r in ctx.store.calibrations(ctx.frontier)
        ],
        "slices": slices,
    }


SCALE = (
    "2PL: abilities (theta) and difficulties (b) on one logit scale; "
    "P(success) = 1 / (1 + exp(-a * (theta - b)))"
)
"""How to read the parameters of an exported item bank, written into the document."""


def slice_items(
    frontier: str, slice_version: int, task_ids: Sequence[str], record: CalibrationRecord
) -> dict[str, Any]:
    """A slice version's calibrated item parameters, for export beside the slice's tasks.

    One entry per task in slice order: a task the calibration does not cover (admitted
    after the fit) keeps its entry with null parameters and is counted, so a consumer
    matching items to tasks never silently loses one.

    Args:
        frontier: the frontier's key, written into the document.
        slice_version: the exported slice version.
        task_ids: its tasks, in slice order.
        record: the calibration to read the parameters from.

    Returns:
        A JSON-ready document: the calibration's version, trigger, anchor and library, the
        scale, the items and each model's ability.
    """
    cal = record.calibration
    fitted = {i.task_id: i for i in cal.items}
    items: list[dict[str, Any]] = []
    for task_id in task_ids:
        it = fitted.get(task_id)
        items.append(
            {"taskId": task_id, "a": None, "aSe": None, "b": None, "bSe": None, "flag": None}
            if it is None
            else {
                "taskId": task_id,
                "a": it.a,
                "aSe": it.a_se,
                "b": it.b,
                "bSe": it.b_se,
                "flag": it.flag,
            }
        )
    return {
        "frontier": frontier,
        "slice": slice_version,
        "calibration": record.version,
        "trigger": record.trigger,
        "createdAt": record.created_at.isoformat(),
        "anchor": cal.anchor,
        "library": cal.library,
        "libraryVersion": cal.library_version,
        "scale": SCALE,
        "tasks": len(items),
        "uncalibrated": sum(1 for t in task_ids if t not in fitted),
        "items": items,
        "abilities": [
            {"model": a.model, "theta": a.theta, "se": a.se}
            for a in sorted(cal.abilities, key=lambda a: -a.theta)
        ],
    }
