"""`frontier db upgrade` / `frontier db current`, run through Typer's test runner."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from frontier.cli.db import app
from frontier.store import migrate
from frontier.store.engine import DSN_ENV, safe_dsn

runner = CliRunner()


def _flat(text: str) -> str:
    """The message with the console's line wrapping undone."""
    return " ".join(text.split())


def test_upgrade_brings_an_empty_database_to_head_and_says_so(empty_dsn: str) -> None:
    result = runner.invoke(app, ["upgrade", "--db", empty_dsn])
    assert result.exit_code == 0, result.output
    assert f"upgraded from empty to {migrate.head()} (head)" in result.output
    assert migrate.current(empty_dsn) == migrate.head()


def test_upgrade_of_a_current_database_changes_nothing(empty_dsn: str) -> None:
    migrate.upgrade(empty_dsn)
    result = runner.invoke(app, ["upgrade", "--db", empty_dsn])
    assert result.exit_code == 0
    assert f"already at revision {migrate.head()}" in result.output


def test_current_of_an_upgraded_database_prints_the_revision_and_succeeds(empty_dsn: str) -> None:
    migrate.upgrade(empty_dsn)
    result = runner.invoke(app, ["current", "--db", empty_dsn])
    assert result.exit_code == 0, result.output
    assert f"schema revision {migrate.head()}" in result.output
    assert "up to date" in result.output


def test_current_of_an_empty_database_fails_naming_frontier_db_upgrade(empty_dsn: str) -> None:
    if empty_dsn.startswith("sqlite:///"):
        Path(empty_dsn.removeprefix("sqlite:///")).touch()  # an empty file is an empty database
    result = runner.invoke(app, ["current", "--db", empty_dsn])
    assert result.exit_code == 2
    assert "schema revision none" in result.stdout
    assert "frontier db upgrade" in _flat(result.stderr)


def test_current_of_an_older_schema_fails_naming_frontier_db_upgrade(
    empty_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    migrate.upgrade(empty_dsn)
    installed = migrate.head()
    monkeypatch.setattr(migrate, "head", lambda: "0099")
    monkeypatch.setattr(migrate, "_known_revisions", lambda: {installed, "0099"})
    result = runner.invoke(app, ["current", "--db", empty_dsn])
    assert result.exit_code == 2
    message = _flat(result.stderr)
    assert "needs 0099" in message and "frontier db upgrade" in message


def test_an_unreachable_database_is_reported_without_its_password() -> None:
    for command in ("upgrade", "current"):
        result = runner.invoke(app, [command, "--db", "postgresql://bob:hunter2@127.0.0.1:1/f"])
        assert result.exit_code == 2
        message = _flat(result.stderr)
        assert "cannot reach database" in message and "bob:***@127.0.0.1:1/f" in message
        assert "hunter2" not in result.output


def test_current_of_a_missing_sqlite_file_fails_without_creating_it(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "f.db"
    result = runner.invoke(app, ["current", "--db", f"sqlite:///{path}"])
    assert result.exit_code == 2
    assert "no database file" in _flat(result.stderr)
    assert "frontier db upgrade" in _flat(result.stderr)
    assert not path.parent.exists()


def test_the_default_database_comes_from_frontier_db(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dsn = f"sqlite:///{tmp_path / 'env.db'}"
    monkeypatch.setenv(DSN_ENV, dsn)
    result = runner.invoke(app, ["upgrade"])
    assert result.exit_code == 0, result.output
    assert safe_dsn(dsn) in result.output
    assert migrate.current(dsn) == migrate.head()


def test_without_a_subcommand_the_help_is_shown() -> None:
    result = runner.invoke(app, [])
    assert "upgrade" in result.output and "current" in result.output
