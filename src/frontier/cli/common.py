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
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text
from sqlalchemy.exc import DBAPIError

from frontier.store import Store, StoreError, default_dsn, safe_dsn

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
    from frontier.domain.manifest import SpecError
    from frontier.local.runner import ManifestError
    from frontier.pipeline.context import TaskSourceError

    return (ManifestError, SpecError, TaskFileError, TaskSourceError, StoreError, HarnessError)


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


def print_error(message: str) -> None:
    """`error: <message>` on stderr, the message exactly as given (brackets stay brackets)."""
    errors.print(Text.assemble(("error:", "bold red"), " ", message))


def database_failure(exc: DBAPIError, dsn: str | None = None) -> str:
    """One line for a database error the store's retries gave up on, without credentials."""
    where = f" {safe_dsn(dsn)}" if dsn else ""
    cause = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else ""
    kind = type(exc.orig).__name__ if exc.orig is not None else type(exc).__name__
    return f"the database{where} failed: {kind}: {cause}".rstrip(": ")


def open_store(db: str | None, *, create: bool = False) -> Store:
    """The store at `db` (or the default); `create` brings a new or old schema up to date."""
    return Store.connect(db or default_dsn(), auto_upgrade=create)
