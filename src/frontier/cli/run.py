"""`frontier run`: the whole loop on one machine, with progress bars and a summary at the end."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from frontier.cli.common import DbOption, console, expected_errors, open_store
from frontier.local.runner import LoopResult, load_manifest, run_loop
from frontier.pipeline.rollouts import ProgressHook


def _progress_factory(progress: Progress) -> Any:
    def factory(label: str) -> ProgressHook:
        task = progress.add_task(label, total=None)

        def hook(done: int, planned: int) -> None:
            progress.update(task, completed=done, total=planned)

        return hook

    return factory


def run(
    file: Annotated[
        Path, typer.Option("--file", "-f", help="The Frontier manifest (YAML), as for kubectl.")
    ],
    db: DbOption = None,
    max_rounds: Annotated[
        int | None, typer.Option(help="Stop after this many rounds (overrides spec.stop).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Run the loop: profile, partition, mutate, admit, retain, verify, react to saturation.

    Everything is kept in the database, so running the same command again after
    an interruption resumes where it stopped.
    """
    with expected_errors():
        resource = load_manifest(file)
        store = open_store(db, create=True)
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            disable=as_json,
            transient=False,
        ) as progress:
            result = asyncio.run(
                run_loop(
                    store,
                    resource,
                    base_dir=file.resolve().parent,
                    progress=_progress_factory(progress),
                    max_rounds=max_rounds,
                )
            )
    if as_json:
        typer.echo(json.dumps(result_dict(result), indent=2))
    else:
        print_result(result)


def result_dict(result: LoopResult) -> dict[str, Any]:
    return {
        "frontier": result.frontier,
        "loadErrors": result.load_errors,
        "bandsBefore": result.bands_before.as_dict(),
        "bandsAfter": result.bands_after.as_dict() if result.bands_after else None,
        "rounds": [
            {
                "number": r.number,
                "candidates": r.counts.as_dict(),
                "sliceVersion": r.retained.slice.version,
                "sliceSize": r.retained.slice.size,
                "verification": r.verification.as_dict() if r.verification else None,
            }
            for r in result.rounds
        ],
        "stoppedBecause": result.stopped_because,
    }


def print_result(result: LoopResult) -> None:
    before = result.bands_before
    console.print(
        f"\n[bold]{result.frontier}[/]: base tasks saturated {before.saturated}, "
        f"hillclimbable {before.hillclimbable}, unreachable {before.unreachable}"
        + (f" ({result.load_errors} task lines skipped)" if result.load_errors else "")
    )
    if result.rounds:
        table = Table(title="Rounds")
        for column in ("round", "generated", "rejected (by reason)", "admitted", "yield"):
            table.add_column(column)
        table.add_column("rollouts / admitted", justify="right")
        table.add_column("slice", justify="right")
        for r in result.rounds:
            c = r.counts
            reasons = ", ".join(f"{k} {v}" for k, v in sorted(c.by_reason.items()))
            per = f"{c.rollouts_spent / c.admitted:.1f}" if c.admitted else "-"
            table.add_row(
                str(r.number),
                str(c.generated),
                f"{c.rejected} ({reasons})" if reasons else str(c.rejected),
                str(c.admitted),
                f"{c.admission_yield:.1%}",
                per,
                f"v{r.retained.slice.version}: {r.retained.slice.size}",
            )
        console.print(table)
        last = next((r.verification for r in reversed(result.rounds) if r.verification), None)
        if last is not None:
            vt = Table(title=f"Verification of slice v{last.slice_version}")
            for column in (
                "model",
                "saturated",
                "hillclimbable",
                "unreachable",
                "pass@1",
                "pass^k",
            ):
                vt.add_column(column)
            for m in last.models:
                p1 = m.metrics.pass_at_1.estimate if m.metrics else None
                pk = m.metrics.pass_hat_k.estimate if m.metrics else None
                vt.add_row(
                    m.model,
                    str(m.bands.saturated),
                    str(m.bands.hillclimbable),
                    str(m.bands.unreachable),
                    f"{p1:.2f}" if p1 is not None else "-",
                    f"{pk:.2f}" if pk is not None else "-",
                )
            console.print(vt)
            console.print(f"overlap-hard canaries: {last.canaries.count}")
    console.print(f"stopped: {result.stopped_because}")
