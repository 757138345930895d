"""`frontier report`: the frontier as pictures, in one HTML file that opens without a network."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from frontier.cli.common import DbOption, console, expected_errors, open_store, writing
from frontier.cli.inspect import NameArg, frontier_context

DEFAULT_OUTPUT = {"html": Path("report.html"), "png": Path("report-figures")}


def report(
    name: NameArg = None,
    slice_version: Annotated[
        int | None, typer.Option("--slice", help="Slice version (default: the latest).")
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="The HTML file, or with --format png the folder of PNGs "
            "(default: report.html, report-figures/).",
        ),
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", help="html: one self-contained page; png: one PNG a figure.")
    ] = "html",
    db: DbOption = None,
) -> None:
    """Write a report: bands per model, pass metrics, rounds, lineage, canaries, saturation."""
    from frontier.report import FORMATS, build_report, write_report  # matplotlib: not at start-up

    if fmt not in FORMATS:
        raise typer.BadParameter(
            f"unknown format {fmt!r}; available: {', '.join(FORMATS)}", param_hint="--format"
        )
    if slice_version is not None and slice_version < 1:
        raise typer.BadParameter("slice versions start at 1", param_hint="--slice")
    target = output if output is not None else DEFAULT_OUTPUT[fmt]
    if fmt == "png" and target.exists() and not target.is_dir():
        raise typer.BadParameter(
            f"{target} is a file; --format png writes a folder", param_hint="--output"
        )
    with expected_errors():
        ctx = frontier_context(open_store(db), name)
        built = build_report(ctx, slice_version)
    with writing(target):
        written = write_report(built, target, "png" if fmt == "png" else "html")
    what = f"{len(written)} figures to {target}/" if fmt == "png" else str(target)
    console.print(f"wrote the report of {ctx.frontier} ({built.data.scope}) to {what}")
