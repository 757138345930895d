"""`frontier db upgrade` and `frontier db current`: the schema of the store, by hand.

`frontier run` upgrades its embedded SQLite by itself; a shared Postgres is
upgraded once, on purpose, with `frontier db upgrade` (an init container or a
release step), and every other process refuses a schema that is not current
with a message naming that command.
"""

from __future__ import annotations

from pathlib import Path

import typer

from frontier.cli.common import DbOption, expected_errors, print_error
from frontier.store import default_dsn, migrate, safe_dsn
from frontier.store.engine import parse_dsn

app = typer.Typer(
    help="The store's schema: upgrade it, or show its revision.",
    no_args_is_help=True,
)


@app.command()
def upgrade(db: DbOption = None) -> None:
    """Bring the database's schema up to this version of frontier (safe to run concurrently)."""
    dsn = db or default_dsn()
    with expected_errors():
        before = migrate.describe(dsn)
        after = migrate.upgrade(dsn)
    where = safe_dsn(dsn)
    if before.current == after:
        typer.echo(f"{where}: schema already at revision {after} (head)")
    else:
        typer.echo(f"{where}: schema upgraded from {before.current or 'empty'} to {after} (head)")


@app.command()
def current(db: DbOption = None) -> None:
    """Print the database's schema revision; fail (exit 2) unless it is this frontier's head."""
    dsn = db or default_dsn()
    with expected_errors():
        missing = _missing_sqlite_file(dsn)
        if missing is not None:
            print_error(f"no database file at {missing}; run `frontier db upgrade --db '{dsn}'`")
            raise typer.Exit(2)
        found = migrate.describe(dsn)
        typer.echo(f"{safe_dsn(dsn)}: schema revision {found.current or 'none'}")
        migrate.check_dsn(dsn)
    typer.echo(f"up to date (head {found.head})")


def _missing_sqlite_file(dsn: str) -> Path | None:
    """The path of an SQLite DSN whose file does not exist (so `current` does not create it)."""
    url = parse_dsn(dsn)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    path = Path(url.database).expanduser()
    return None if path.exists() else path
