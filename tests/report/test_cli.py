"""`frontier report` from the command line: HTML, a folder of PNGs, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from frontier.cli import report
from tests.report.conftest import FRONTIER, EmbeddedRun


@pytest.fixture
def app() -> typer.Typer:
    """The command as the main app registers it (`app.command()(report.report)`)."""
    app = typer.Typer()
    app.command()(report.report)
    app.command("noop")(lambda: None)  # two commands, so the name is given as in `frontier report`
    return app


def test_report_writes_one_html_file(
    app: typer.Typer, embedded: EmbeddedRun, tmp_path: Path
) -> None:
    out = tmp_path / "out" / "r.html"
    result = CliRunner().invoke(app, ["report", "--db", embedded.db, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").startswith("<!doctype html>")
    assert f"slice v{embedded.store.slice_versions(FRONTIER)[-1]}" in result.output


def test_report_as_png_writes_one_picture_per_figure(
    app: typer.Typer, embedded: EmbeddedRun, tmp_path: Path
) -> None:
    out = tmp_path / "figures"
    result = CliRunner().invoke(
        app,
        [
            "report",
            "shoppingbench-dev",
            "--db",
            embedded.db,
            "--format",
            "png",
            "-o",
            str(out),
            "--slice",
            "1",
        ],
    )
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "band-history.png",
        "bands.png",
        "bank.png",
        "lineage.png",
        "pass-metrics.png",
        "rounds.png",
    ]
    assert all((out / n).read_bytes().startswith(b"\x89PNG\r\n\x1a\n") for n in names)


def test_an_unknown_format_is_refused_naming_the_option(app: typer.Typer, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["report", "--format", "pdf", "--db", "sqlite://"])
    assert result.exit_code == 2
    assert "--format" in result.output and "html, png" in result.output


def test_an_unknown_slice_version_exits_2_with_the_versions_there_are(
    app: typer.Typer, embedded: EmbeddedRun, tmp_path: Path
) -> None:
    result = CliRunner().invoke(
        app, ["report", "--db", embedded.db, "--slice", "7", "-o", str(tmp_path / "r.html")]
    )
    assert result.exit_code == 2
    known = ", ".join(f"v{v}" for v in embedded.store.slice_versions(FRONTIER))
    assert f"no slice version 7 ({known})" in result.stderr
    assert not (tmp_path / "r.html").exists()


def test_an_unknown_frontier_exits_2_naming_it(
    app: typer.Typer, embedded: EmbeddedRun, tmp_path: Path
) -> None:
    result = CliRunner().invoke(app, ["report", "nope", "--db", embedded.db])
    assert result.exit_code == 2
    assert "default/nope" in result.stderr


def test_an_output_path_that_cannot_be_written_exits_2_naming_it(
    app: typer.Typer, embedded: EmbeddedRun, tmp_path: Path
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = CliRunner().invoke(app, ["report", "--db", embedded.db, "-o", str(blocker / "r.html")])
    assert result.exit_code == 2
    unwrapped = "".join(result.stderr.split())  # the console wraps long paths
    assert f"cannotwrite{blocker / 'r.html'}" in unwrapped
