"""What every command shares: opening the store, and turning expected failures into clear messages.

Expected failures (a bad manifest, an unreachable database, a task file that
does not parse) end the command with exit code 2 and one readable message;
anything else is a bug and keeps its traceback.

Both consoles print text as it is (no rich markup, no :emoji: codes): messages
quote paths, names and exception text from users and endpoints, and a task path
like `[/x]/*.jsonl` must be quoted back, not parsed. Styles come from `Text`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from frontier.store import NotFoundError, Store, StoreError, default_dsn, safe_dsn

console = Console(markup=False, emoji=False)
errors = Console(stderr=True, soft_wrap=True, markup=False, emoji=False, highlight=False)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        envvar="FRONTIER_DB",
        help="Database DSN (SQLAlchemy URL). Default: sqlite:///.frontier/frontier.db.",
        show_default=False,
    ),
]


def expected() -> tuple[type[Exception], ...]:
    """The failures a command reports in one line; imported when a command runs, not at
    start-up (they live beside the pipeline, which imports the OpenAI SDK)."""
    from frontier.agents.errors import HarnessError
    from frontier.benchmarks.jsonlines import TaskFileError
    from frontier.domain.cost import BudgetExceededError
    from frontier.domain.manifest import SpecError
    from frontier.local.runner import ManifestError
    from frontier.pipeline.context import TaskSourceError

    return (
        ManifestError,
        SpecError,
        TaskFileError,
        TaskSourceError,
        StoreError,
        HarnessError,
        BudgetExceededError,
    )


@contextmanager
def expected_errors() -> Iterator[None]:
    caught = expected()
    try:
        yield
    except caught as exc:
        print_error(str(exc))
        raise typer.Exit(2) from None
    except DBAPIError as exc:
        print_error(database_failure(exc))
        raise typer.Exit(2) from None


@contextmanager
def writing(target: Path) -> Iterator[None]:
    """A command's output file: a folder, a read-only place or a full disk ends the command
    with one line naming the file and the cause (exit 2), never a traceback."""
    try:
        yield
    except OSError as exc:
        print_error(f"cannot write {target}: {exc.strerror or exc}")
        raise typer.Exit(2) from None


def print_error(message: str) -> None:
    """`error: <message>` on stderr, the message exactly as given (brackets stay brackets)."""
    errors.print(Text.assemble(("error:", "bold red"), " ", message))


def print_warning(message: str) -> None:
    """`warning: <message>` on stderr, the message exactly as given."""
    errors.print(Text.assemble(("warning:", "bold yellow"), " ", message))


def database_failure(exc: DBAPIError, dsn: str | None = None) -> str:
    """One line for a database error the store's retries gave up on, without credentials."""
    where = f" {safe_dsn(dsn)}" if dsn else ""
    cause = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else ""
    kind = type(exc.orig).__name__ if exc.orig is not None else type(exc).__name__
    return f"the database{where} failed: {kind}: {cause}".rstrip(": ")


def open_store(db: str | None, *, create: bool = False) -> Store:
    """The store at `db` (or the default); `create` brings a new or old schema up to date.

    Without `create` (a command that only reads) an SQLite file that does not exist is an
    error that says so: connecting would create an empty file where nothing has run.
    """
    dsn = db or default_dsn()
    if not create:
        url = make_url(dsn)
        path = url.database or ""
        sqlite_file = url.drivername.startswith("sqlite") and path not in ("", ":memory:")
        if sqlite_file and not Path(path).exists():
            raise NotFoundError(
                f"no database at {path}: nothing has run there yet; "
                "`frontier run -f FRONTIER.yaml` starts a run (or name one with --db)"
            )
    return Store.connect(dsn, auto_upgrade=create)
