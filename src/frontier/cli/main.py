"""The `frontier` command: one Typer app, one sub-module per command group."""

from __future__ import annotations

import typer

from frontier import __version__

app = typer.Typer(
    name="frontier",
    help="Keep LLM-agent benchmarks alive: profile, mutate, admit, verify, react to saturation.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)


@app.callback()
def main() -> None:
    """frontier: a living benchmark, on a laptop or on Kubernetes."""


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


# Command groups register themselves here, one line each.
from frontier.cli import (  # noqa: E402
    benchmark,
    crds,
    db,
    inspect,
    operator,
    place,
    report,
    run,
    worker,
)

app.command()(run.run)
app.command()(inspect.status)
app.command()(inspect.export)
app.command()(place.place)
app.command()(report.report)
app.command()(crds.crds)
app.command()(operator.operator)
app.add_typer(worker.app, name="worker")
app.add_typer(benchmark.app, name="benchmark")
app.add_typer(db.app, name="db")


if __name__ == "__main__":
    app()
