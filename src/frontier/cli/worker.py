"""`frontier worker`: one shard of one stage, as a Kubernetes Job runs it.

The shard defaults to $JOB_COMPLETION_INDEX, which an Indexed Job sets, so
the same command line serves every completion. The frontier's spec comes from
the store, so a worker needs only the DSN and the names.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from sqlalchemy.exc import DBAPIError

from frontier.cli.common import (
    DbOption,
    console,
    database_failure,
    expected,
    open_store,
    print_error,
)
from frontier.domain.exits import BUDGET_STOP, PERMANENT_FAILURE, TRANSIENT_FAILURE
from frontier.store import StoreUnavailableError

if TYPE_CHECKING:
    from frontier.pipeline.context import Context

T = TypeVar("T")


@contextmanager
def worker_errors() -> Iterator[None]:
    """Expected failures end with one clear line: a bad input exits 3 (permanent); an
    unreachable database or a model endpoint that failed the shard exits 1, so the Job's
    retry policy retries only what may pass; a budget stop exits 4 (domain.exits)."""
    from frontier.agents.errors import HarnessError
    from frontier.domain.cost import BudgetExceededError

    caught = expected()
    try:
        yield
    except caught as exc:
        print_error(str(exc))
        if isinstance(exc, BudgetExceededError):
            code = BUDGET_STOP
        elif isinstance(exc, StoreUnavailableError | HarnessError):
            code = TRANSIENT_FAILURE
        else:
            code = PERMANENT_FAILURE
        raise typer.Exit(code) from None
    except DBAPIError as exc:  # the store's retries gave up: let the Job try this shard again
        print_error(database_failure(exc))
        raise typer.Exit(TRANSIENT_FAILURE) from None


async def budgeted(ctx: Context, work: Awaitable[T]) -> T:
    """`work`, with a budget stop recorded in the store (the Frontier's BudgetExceeded
    condition and the resume after a raise read it) before it ends the shard."""
    from frontier.domain.cost import BudgetExceededError
    from frontier.pipeline.budget import record_stop

    try:
        return await work
    except BudgetExceededError as exc:
        record_stop(ctx, exc)
        raise


app = typer.Typer(help="Run one shard of a stage (what the operator's Jobs execute).")

FrontierOption = Annotated[
    str, typer.Option("--frontier", help="NAMESPACE/NAME of the frontier in the store.")
]


def _shard(shard: int | None) -> int:
    if shard is not None:
        return shard
    index = os.environ.get("JOB_COMPLETION_INDEX")
    if index is None:
        return 0
    try:
        return int(index)
    except ValueError:
        raise typer.BadParameter(
            f"JOB_COMPLETION_INDEX={index!r} is not an integer", param_hint="--shard"
        ) from None


ShardOption = Annotated[
    int | None,
    typer.Option(help="Shard index (default: $JOB_COMPLETION_INDEX, else 0).", min=0),
]


@app.command()
def rollouts(
    frontier: FrontierOption,
    run: Annotated[str, typer.Option("--run", help="The run (ProfileRun or child run) name.")],
    shard: ShardOption = None,
    db: DbOption = None,
) -> None:
    """Roll out one shard of a registered run (profile, candidates or verification)."""
    with worker_errors():
        from frontier.pipeline.context import stored_context
        from frontier.pipeline.profile import run_shard

        ctx = stored_context(open_store(db), frontier)
        result = asyncio.run(budgeted(ctx, run_shard(ctx, run, _shard(shard))))
    console.print(
        f"{run} shard {result.shard}: {result.tasks} tasks, {result.report.rollouts} rollouts, "
        f"{result.report.errors} errors"
    )


@app.command()
def mutate(
    frontier: FrontierOption,
    round: Annotated[int, typer.Option("--round", min=1, help="The round number.")],
    shards: Annotated[int, typer.Option(min=1, help="How many shards split the parents.")] = 1,
    shard: ShardOption = None,
    db: DbOption = None,
) -> None:
    """Propose and screen candidates for one shard of a round's parents."""
    with worker_errors():
        from frontier.pipeline.context import stored_context
        from frontier.pipeline.mutate import mutate_shard

        ctx = stored_context(open_store(db), frontier)
        report = asyncio.run(budgeted(ctx, mutate_shard(ctx, round, _shard(shard), shards)))
    console.print(
        f"round {round} shard {_shard(shard)}: {report.parents} parents, "
        f"{report.proposed} proposed, {report.screened_in} screened in, rejected {report.rejected}"
    )
