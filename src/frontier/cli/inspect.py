"""`frontier status` and `frontier export`: read a frontier back out of the store."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from frontier.cli.common import (
    DbOption,
    console,
    errors,
    expected_errors,
    open_store,
    writing,
)
from frontier.domain.lineage import LINEAGE_KEY, without_lineage_block
from frontier.domain.tasks import Task
from frontier.store import NotFoundError, Store

if TYPE_CHECKING:
    from frontier.domain.irt import ItemParams
    from frontier.pipeline.context import Context
    from frontier.store import CalibrationRecord

NameArg = Annotated[
    str | None,
    typer.Argument(
        help="The frontier: NAME or NAMESPACE/NAME; optional when the store holds only one."
    ),
]


def frontier_context(store: Store, name: str | None) -> Context:
    if name is None:
        known = store.frontiers()
        if len(known) != 1:
            names = ", ".join(f.key for f in known) or "none"
            raise NotFoundError(f"name a frontier (the store holds: {names})")
        name = known[0].key
    key = name if "/" in name else f"default/{name}"
    from frontier.pipeline.context import stored_context  # the pipeline: not at start-up

    return stored_context(store, key)


def status(
    name: NameArg = None,
    db: DbOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the status as JSON.")] = False,
) -> None:
    """Show a frontier: bands, rounds, candidates, slice versions, verification."""
    with expected_errors():
        ctx = frontier_context(open_store(db), name)
        from frontier.pipeline.status import frontier_summary

        summary = frontier_summary(ctx)
    if as_json:
        typer.echo(json.dumps(summary, indent=2, default=str))
        return
    _print_status(summary)


def _print_status(s: dict[str, Any]) -> None:
    bands = s["bands"]
    console.print(Text.assemble((s["frontier"], "bold"), f"  solver {s['solver']}"))
    if bands["baseTasks"]:
        b = bands["baseTasks"]
        console.print(
            f"base tasks: saturated {b['saturated']}, hillclimbable {b['hillclimbable']}, "
            f"unreachable {b['unreachable']}"
        )
    cur = bands["current"]
    console.print(
        f"solver on the {bands['scope']}: saturated {cur['saturated']}, "
        f"hillclimbable {cur['hillclimbable']}, unreachable {cur['unreachable']}"
    )
    c = s["candidates"]
    console.print(
        f"candidates: {c['generated']} generated, {c['admitted']} admitted "
        f"({c['admissionYield']:.1%}), {c['rejected']} rejected {c['rejectedByReason']}"
    )
    totals = [t for t in s["rollouts"].values() if t]
    if totals:

        def total(key: str) -> int:
            return sum(int(t.get(key, 0)) for t in totals)

        console.print(
            f"rollouts: {total('attempted') or total('rollouts')} attempted, "
            f"{total('erroredAttempts') or total('errors')} ended in a harness error "
            f"({total('replayed')} replayed), {total('errors')} still errored; "
            f"tokens in {total('inputTokens')}, out {total('outputTokens')}"
        )
    _print_cost(s["cost"])
    table = Table(title="Rounds")
    for column in ("round", "trigger", "phase", "admitted", "slice"):
        table.add_column(column)
    for r in s["rounds"]:
        stats = r["stats"] or {}
        table.add_row(
            str(r["number"]),
            r["trigger"],
            r["phase"],
            str(stats.get("admitted", "-")),
            f"v{stats['sliceVersion']}" if "sliceVersion" in stats else "-",
        )
    console.print(table)
    console.print(f"slice: v{s['sliceVersion']} with {s['sliceSize']} tasks")
    if s["slices"]:
        versions = Table(title="Slice versions")
        for column in ("version", "tasks", "families"):
            versions.add_column(column)
        for v in s["slices"]:
            families = ", ".join(f"{f} {n}" for f, n in sorted(v["families"].items()))
            versions.add_row(f"v{v['version']}", str(v["size"]), families or "-")
        console.print(versions)
    if s["verification"]:
        for m in s["verification"]["models"]:
            console.print(f"  {m['model']}: {m['bands']}")
        console.print(f"overlap-hard: {s['overlapHard']}")
    _print_calibration(s.get("calibration"))
    _print_placements(s.get("placements") or [])


def _print_calibration(cal: dict[str, Any] | None) -> None:
    if cal is None:
        console.print("item bank: not calibrated yet (calibration.minModels models needed)")
        return
    console.print(
        f"item bank: calibration v{cal['version']} of {cal['items']} tasks "
        f"({cal['library']}; {cal['anchor']}); {len(cal['suspectGrading'])} suspect_grading, "
        f"{cal['uninformative']} uninformative"
    )
    table = Table(title="Ability (theta ± SE) and expected pass@1 on the bank")
    for column in ("model", "theta", "expected pass@1"):
        table.add_column(column)
    for a in cal["abilities"]:
        table.add_row(a["model"], f"{a['theta']:+.2f} ± {a['se']:.2f}", f"{a['expectedPass']:.2f}")
    console.print(table)


def _print_placements(placed: list[dict[str, Any]]) -> None:
    if not placed:
        return
    versions = sorted({f["version"] for p in placed for f in p["slices"]})
    table = Table(title="Placed models (adaptive; expected pass@1 per slice version)")
    for column in ("model", "calibration", "theta", "tasks asked", *(f"v{v}" for v in versions)):
        table.add_column(column)
    for p in placed:
        forecast = {f["version"]: f["expectedPass"] for f in p["slices"]}
        table.add_row(
            p["model"],
            f"v{p['calibration']}",
            f"{p['theta']:+.2f} ± {p['se']:.2f}",
            str(len(p["items"])),
            *(f"{forecast[v]:.2f}" if v in forecast else "–" for v in versions),
        )
    console.print(table)


def usd(value: float | None) -> str:
    """A dollar figure as status shows it; n/a when it has no denominator."""
    return "n/a" if value is None else f"${value:,.4f}"


def _print_cost(cost: dict[str, Any]) -> None:
    budget = cost["budget"]
    limit = (
        f" of {usd(budget['maxCostUsd'])} budget ({usd(budget['remainingUsd'])} left)"
        if budget["maxCostUsd"] is not None
        else ""
    )
    since = f"v{cost['lastSliceVersion']}" if cost["lastSliceVersion"] is not None else "start"
    console.print(
        f"spend: {usd(cost['totalUsd'])}{limit}; since {since}: {usd(cost['sinceLastSliceUsd'])}; "
        f"per admitted task: {usd(cost['costPerAdmittedTask'])}"
    )
    table = Table(title="Cost by stage and model")
    for column in (
        "stage",
        "model",
        "tokens in",
        "tokens out",
        "cost",
        "per rollout",
        "per success",
        "accuracy/$",
    ):
        table.add_column(column)
    for line in cost["lines"]:
        apd = line["accuracyPerDollar"]
        table.add_row(
            line["stage"],
            line["model"],
            str(line["inputTokens"]),
            str(line["outputTokens"]),
            usd(line["costUsd"]),
            usd(line["costPerRollout"]),
            usd(line["costPerSuccess"]),
            "n/a" if apd is None else f"{apd:,.1f}",
        )
    console.print(table)


def export(
    name: NameArg = None,
    slice_version: Annotated[
        int | None, typer.Option("--slice", help="Slice version (default: the latest).")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="Output format: jsonl.")] = "jsonl",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
    lineage: Annotated[
        bool,
        typer.Option(
            "--lineage/--no-lineage",
            help="Add each task's lineage under the key `_frontier` "
            "(--no-lineage: exactly the benchmark's own records).",
        ),
    ] = True,
    items: Annotated[
        Path | None,
        typer.Option(
            "--items",
            help="Write the slice tasks' calibrated item parameters (JSON) here. With -o FILE "
            "and a calibration they go beside it by default, as FILE's stem + .items.json.",
        ),
    ] = None,
    no_items: Annotated[
        bool, typer.Option("--no-items", help="Write no item parameters beside -o FILE.")
    ] = False,
    calibration: Annotated[
        int | None,
        typer.Option(
            "--calibration", min=1, help="Calibration version to read (default: the latest)."
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """Export a slice version in the benchmark's own task format, one task per line, and
    the calibrated item parameters of its tasks beside it."""
    if fmt != "jsonl":
        raise typer.BadParameter(f"unknown format {fmt!r}; available: jsonl", param_hint="--format")
    if items is not None and no_items:
        raise typer.BadParameter(
            "--items and --no-items contradict each other", param_hint="--items"
        )
    if items is not None and output is not None and items.resolve() == output.resolve():
        raise typer.BadParameter(f"{items} is the -o file already", param_hint="--items")
    with expected_errors():
        ctx = frontier_context(open_store(db), name)
        found = ctx.store.get_slice(ctx.frontier, slice_version)
        if found is None:
            which = f"version {slice_version}" if slice_version else "any version"
            raise NotFoundError(f"{ctx.frontier} has no slice {which}")
        record = _calibration(ctx, calibration, asked=items is not None)
        tasks = ctx.store.get_tasks(ctx.frontier, ids=found.task_ids)
        by_id = {t.id: t for t in tasks}
        fitted = {} if record is None else {i.task_id: i for i in record.calibration.items}
        lines = [
            json.dumps(
                _record(ctx, by_id[t], lineage, irt=_irt(fitted.get(t), record)),
                ensure_ascii=False,
            )
            for t in found.task_ids
        ]
        if items is None and output is not None and not no_items and record is not None:
            items = output.with_name(f"{output.stem}.items.json")
        document = None
        if items is not None and record is not None:
            from frontier.pipeline.calibrate import slice_items

            document = slice_items(ctx.frontier, found.version, found.task_ids, record)
    text = "".join(line + "\n" for line in lines)
    if output is None:
        sys.stdout.write(text)
    else:
        with writing(output):
            output.write_text(text, encoding="utf-8")
    said = [] if output is None else [f"{len(lines)} tasks of slice v{found.version} to {output}"]
    if items is not None and document is not None:
        with writing(items):
            items.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", "utf-8")
        covered = document["tasks"] - document["uncalibrated"]
        said.append(
            f"the item parameters of {covered} of {document['tasks']} tasks "
            f"(calibration v{document['calibration']}) to {items}"
        )
    if said:  # with the tasks on stdout, the line goes to stderr
        (console if output is not None else errors).print("wrote " + " and ".join(said))


def _calibration(ctx: Context, version: int | None, *, asked: bool) -> CalibrationRecord | None:
    """The calibration to read item parameters from: `version`, or the latest. Missing is an
    error naming the option when the user asked for it (--calibration N, or --items)."""
    record = ctx.store.calibration(ctx.frontier, version)
    if record is not None:
        return record
    if version is not None:
        known = ", ".join(f"v{r.version}" for r in ctx.store.calibrations(ctx.frontier))
        raise NotFoundError(
            f"--calibration: {ctx.frontier} has no calibration v{version} "
            f"(it has: {known or 'none'})"
        )
    if asked:
        raise NotFoundError(
            f"--items: {ctx.frontier} has no calibration yet, so no item parameters to write "
            "(a fit needs graded rollouts of calibration.minModels models)"
        )
    return None


def _irt(item: ItemParams | None, record: CalibrationRecord | None) -> dict[str, Any] | None:
    """A calibrated task's parameters for its lineage block; None when it has none."""
    if item is None or record is None:
        return None
    return {"a": item.a, "b": item.b, "flag": item.flag, "calibration": record.version}


def _record(
    ctx: Context, task: Task, lineage: bool, *, irt: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A task in the benchmark's own format; with `lineage`, its lineage under `_frontier`,
    and there its item parameters (`irt`) when it is calibrated."""
    record = without_lineage_block(ctx.benchmark.export(task))
    if lineage:
        record[LINEAGE_KEY] = {
            "id": task.id,
            "family": task.family,
            "origin": task.lineage.origin,
            "parentId": task.lineage.parent_id,
            "rootId": task.lineage.root_id or task.id,
            "motif": task.lineage.motif,
            "round": task.lineage.round,
            "depth": task.lineage.depth,
        }
        if irt is not None:
            record[LINEAGE_KEY]["irt"] = irt
    return record
