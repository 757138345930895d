from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from frontier.cli.main import app
from tests.support.frontiers import small_document


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def write_manifest(tmp_path: Path, doc: dict[str, Any] | None = None) -> Path:
    path = tmp_path / "frontier.yaml"
    path.write_text(yaml.safe_dump(doc if doc is not None else small_document()))
    return path


PANEL = [
    {"name": "ladder-low", "provider": "heuristic", "skill": 0.1},
    {"name": "ladder-high", "provider": "heuristic", "skill": 0.9},
]


@pytest.fixture(scope="module")
def calibrated_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One round with a calibration panel: v1 fits the base tasks (the panel's profile), v2
    refits after the verification of slice v1, so it covers the slice's tasks, and v3 and v4
    after each panel model answered the tasks slice v1 adds."""
    where = tmp_path_factory.mktemp("calibrated")
    doc = small_document(stop={"maxRounds": 1}, calibration={"panel": PANEL})
    db = f"sqlite:///{where / 'f.db'}"
    ran = CliRunner().invoke(app, ["run", "-f", str(write_manifest(where, doc)), "--db", db])
    assert ran.exit_code == 0, ran.output
    return where / "f.db"


@pytest.fixture
def calibrated_db(calibrated_once: Path, tmp_path: Path) -> str:
    """A copy of the calibrated frontier's database, for a test to change (SQLite's backup:
    a file copy would miss what is still in the write-ahead log)."""
    copy = tmp_path / "f.db"
    with closing(sqlite3.connect(calibrated_once)) as source, closing(sqlite3.connect(copy)) as to:
        source.backup(to)
    return f"sqlite:///{copy}"
