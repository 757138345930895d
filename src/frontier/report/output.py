"""Writing the report: one self-contained HTML file, or a folder of PNGs for slides and issues."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from frontier.pipeline.context import Context
from frontier.report.data import ReportData, collect
from frontier.report.figures import RenderedFigure, render_all
from frontier.report.html import render_html

Format = Literal["html", "png"]
FORMATS: tuple[Format, ...] = ("html", "png")


@dataclass(frozen=True)
class Report:
    data: ReportData
    figures: list[RenderedFigure]

    def html(self) -> str:
        return render_html(self.data, self.figures)


def build_report(ctx: Context, slice_version: int | None = None) -> Report:
    data = collect(ctx, slice_version)
    return Report(data, render_all(data))


def write_report(report: Report, output: Path, fmt: Format = "html") -> list[Path]:
    """Write the report; returns the files written (one HTML file, or one PNG per figure)."""
    if fmt == "html":
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(report.html(), encoding="utf-8")
        return [output]
    if fmt == "png":
        if output.exists() and not output.is_dir():
            raise FileExistsError(f"{output} exists and is not a folder (--format png writes one)")
        output.mkdir(parents=True, exist_ok=True)
        written = []
        for figure in report.figures:
            path = output / f"{figure.slug}.png"
            path.write_bytes(figure.png)
            written.append(path)
        return written
    raise ValueError(f"unknown report format {fmt!r}; available: {', '.join(FORMATS)}")
