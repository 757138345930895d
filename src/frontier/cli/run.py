"""`frontier run`: the whole loop on one machine, with progress bars and a summary at the end."""

from __future__ import annotations

import asyncio
import json
import signal
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from frontier.cli.common import DbOption, console, expected_errors, open_store, print_warning

if TYPE_CHECKING:
    from frontier.local.runner import LoopResult
    from frontier.pipeline.rollouts import ProgressHook


def _rate(task: Task) -> float | None:
    """Items (rollouts, or a teacher's parents) finished in this process per second since they began.

    Not rich's `speed`: that averages only the samples since the total last changed, and
    every wave raises the total, so a wave of fast rollouts finishing within microseconds
    read as hundreds of thousands per second.
    """
    elapsed = task.finished_time if task.finished else task.elapsed
    if not task.completed or not elapsed:
        return None
    return task.completed / elapsed


class RateColumn(ProgressColumn):
    """Items per second: rollouts, or parents on a teacher stage's bar."""

    def render(self, task: Task) -> Text:
        rate = _rate(task)
        return Text(f"{rate:.1f}/s" if rate else "-/s", style="progress.data.speed")


class RemainingColumn(ProgressColumn):
    """Time left for the items planned so far, at the same honest rate."""

    def render(self, task: Task) -> Text:
        rate = _rate(task)
        if task.total is None:
            return Text("", style="progress.remaining")
        if not rate:
            return Text("-:--:--", style="progress.remaining")
        minutes, seconds = divmod(int(max(0.0, task.total - task.completed) / rate), 60)
        hours, minutes = divmod(minutes, 60)
        return Text(f"{hours:d}:{minutes:02d}:{seconds:02d}", style="progress.remaining")


def _progress_factory(progress: Progress) -> Any:
    def factory(label: str) -> ProgressHook:
        # the clock starts with the first wave, so loading tasks before it is not counted
        task = progress.add_task(label, total=None, start=False)

        def hook(done: int, planned: int) -> None:
            progress.start_task(task)  # once: a started task keeps its start time
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
    from frontier.local.runner import load_manifest, run_loop  # the pipeline: not at start-up
    from frontier.pipeline.context import check_spec

    with expected_errors():
        resource = load_manifest(file)
        check_spec(resource.spec, str(file))  # before a database is touched
        store = open_store(db, create=True)
        with Progress(
            TextColumn("{task.description}", markup=False),  # labels name models: plain text
            BarColumn(),
            MofNCompleteColumn(),
            RateColumn(),
            TimeElapsedColumn(),
            RemainingColumn(),
            console=console,
            disable=as_json,
            transient=False,
        ) as progress:
            # SIGTERM (a container stopping, `kill`) stops as cleanly as Ctrl-C
            previous = _handle_termination()
            try:
                result = asyncio.run(
                    run_loop(
                        store,
                        resource,
                        base_dir=file.resolve().parent,
                        progress=_progress_factory(progress),
                        max_rounds=max_rounds,
                    )
                )
            except KeyboardInterrupt:
                progress.stop()
                console.print("interrupted: run the same command again to resume")
                raise typer.Exit(130) from None
            finally:
                _restore(previous)
    for line in result.skipped:
        print_warning(f"skipped {line}")
    if as_json:
        typer.echo(json.dumps(result_dict(result), indent=2))
    else:
        print_result(result)


def result_dict(result: LoopResult) -> dict[str, Any]:
    return {
        "frontier": result.frontier,
        "loadErrors": result.load_errors,
        "skipped": result.skipped,
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
        Text.assemble(
            "\n",
            (result.frontier, "bold"),
            f": base tasks saturated {before.saturated}, "
            f"hillclimbable {before.hillclimbable}, unreachable {before.unreachable}"
            + (f" ({result.load_errors} task lines skipped)" if result.load_errors else ""),
        )
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
            vt = Table(title=f"Verification of slice v{last.slice_version} (95% CI)")
            for column in ("model", "sat / hill / unr", "pass@1", "best-of-k", "pass^k"):
                vt.add_column(column)
            for m in last.models:
                metrics = m.metrics
                vt.add_row(
                    m.model,
                    f"{m.bands.saturated} / {m.bands.hillclimbable} / {m.bands.unreachable}",
                    _interval(metrics.pass_at_1) if metrics else "-",
                    _interval(metrics.best_of_k) if metrics else "-",
                    _interval(metrics.pass_hat_k) if metrics else "-",
                )
            console.print(vt)
            console.print(f"overlap-hard canaries: {last.canaries.count}")
    after = result.bands_after
    if after is not None and result.rounds:
        console.print(
            f"solver on slice v{result.rounds[-1].retained.slice.version}: saturated "
            f"{after.saturated}, hillclimbable {after.hillclimbable}, unreachable {after.unreachable}"
        )
    console.print(f"stopped: {result.stopped_because}")


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _handle_termination() -> dict[int, Any]:
    """SIGTERM and SIGINT raise KeyboardInterrupt while the loop runs (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    previous: dict[int, Any] = {
        signal.SIGTERM: signal.signal(signal.SIGTERM, _interrupt),
        signal.SIGINT: signal.signal(signal.SIGINT, signal.default_int_handler),
    }
    return previous


def _restore(previous: dict[int, Any]) -> None:
    for signum, handler in previous.items():
        signal.signal(signum, handler)


def _interval(value: Any) -> str:
    return f"{value.estimate:.2f} [{value.low:.2f}, {value.high:.2f}]"
