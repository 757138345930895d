"""`frontier benchmark check`: does a benchmark's verifier accept the gold and reject the decoy?

For every task in the files it grades the gold answer (must succeed) and the
decoy answer (must fail) and prints a JSON summary. It is how you check that a
task file in the public format, or a custom benchmark, is gradeable offline
before you spend model calls on it. Exit status: 0 when every gold succeeds and
every decoy fails, 1 otherwise, 2 when the files cannot be loaded.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Annotated, Any

import typer

from frontier.benchmarks.jsonlines import TaskFileError
from frontier.benchmarks.registry import load_benchmark
from frontier.domain.tasks import FinalAnswer, Grade, Task

app = typer.Typer(help="Inspect benchmarks: check that gold answers pass and decoys fail.")


def _options(pairs: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"expected KEY=VALUE, got {pair!r}", param_hint="--option")
        try:
            out[key] = json.loads(raw)
        except ValueError:
            out[key] = raw
    return out


def _failed(grade: Grade) -> list[str]:
    return [f"{c.name}: {c.detail}" if c.detail else c.name for c in grade.checks if not c.passed]


def _entry(task: Task, grade: Grade | None, error: str | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": task.id, "family": task.family, "query": task.query[:200]}
    if grade is not None:
        entry.update(reward=grade.reward, failed_checks=_failed(grade))
    if error is not None:
        entry["error"] = error
    return entry


def check_files(
    benchmark_name: str, files: list[str], on_error: str, options: dict[str, Any]
) -> dict[str, Any]:
    """Load, prepare, grade gold and decoy answers; the summary as a JSON-ready dict."""
    bench = load_benchmark(benchmark_name, options)
    gold_of = getattr(bench, "gold_answer", None)
    decoy_of = getattr(bench, "decoy_answer", None)
    if gold_of is None or decoy_of is None:
        raise ValueError(f"benchmark {benchmark_name!r} offers no gold and decoy answers to check")
    result = bench.load(files, on_error=on_error)
    bench.prepare(result.tasks)
    gold_failures: list[dict[str, Any]] = []
    decoy_passes: list[dict[str, Any]] = []
    harness_errors: list[dict[str, Any]] = []
    no_gold: list[str] = []
    gold_ok = decoy_ok = graded = 0
    for task in result.tasks:
        gold: FinalAnswer | None = gold_of(task)
        if gold is None:
            no_gold.append(task.id)
            continue
        try:
            g = bench.grade(task, gold)
            d = bench.grade(task, decoy_of(task))
        except Exception as exc:  # a verifier that cannot run is reported, not scored
            harness_errors.append(_entry(task, None, f"{type(exc).__name__}: {exc}"))
            continue
        graded += 1
        gold_ok += g.success
        decoy_ok += d.success
        if not g.success:
            gold_failures.append(_entry(task, g))
        if d.success:
            decoy_passes.append(_entry(task, d))
    return {
        "benchmark": benchmark_name,
        "files": list(files),
        "tasks": len(result.tasks),
        "tasks_by_family": dict(sorted(Counter(t.family for t in result.tasks).items())),
        "load_errors": [str(e) for e in result.errors],
        "graded": graded,
        "gold_success_rate": gold_ok / graded if graded else None,
        "decoy_success_rate": decoy_ok / graded if graded else None,
        "gold_failures": len(gold_failures),
        "decoy_passes": len(decoy_passes),
        "harness_errors": len(harness_errors),
        "without_gold": len(no_gold),
        "failing_tasks": {
            "gold_fails": gold_failures,
            "decoy_passes": decoy_passes,
            "harness_errors": harness_errors,
        },
        "ok": graded > 0 and not gold_failures and not decoy_passes and not harness_errors,
    }


@app.command()
def check(
    files: Annotated[list[str], typer.Argument(help="Task files (JSON Lines).")],
    benchmark: Annotated[
        str, typer.Option("--benchmark", "-b", help="Benchmark plugin name.")
    ] = "shoppingbench",
    on_error: Annotated[
        str, typer.Option("--on-error", help="A malformed line: fail (exit 2) or skip and report.")
    ] = "fail",
    option: Annotated[
        list[str] | None,
        typer.Option("--option", "-o", help="Benchmark option KEY=VALUE (VALUE may be JSON)."),
    ] = None,
) -> None:
    """Grade every task's gold answer (must succeed) and decoy (must fail); print a JSON summary."""
    if on_error not in ("fail", "skip"):
        raise typer.BadParameter("must be 'fail' or 'skip'", param_hint="--on-error")
    try:
        summary = check_files(benchmark, files, on_error, _options(option or []))
    except TaskFileError as exc:
        typer.echo(f"error: {exc} (use --on-error skip to skip malformed lines)", err=True)
        raise typer.Exit(2) from None
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(json.dumps(summary, indent=2, ensure_ascii=False))
    if not summary["ok"]:
        raise typer.Exit(1)
