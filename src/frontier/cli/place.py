"""`frontier place`: put a new model on a frontier's item bank with a few adaptive tasks.

The same steps as a VerificationRun with `placement` (pipeline.placement): the
model answers the slice's most informative task at its current ability, k
rollouts at a time, until θ is precise enough or the item budget is spent; the
answer is θ ± SE and what the model would score on every slice version.
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Annotated

import typer
import yaml
from rich.table import Table

from frontier.cli.common import DbOption, console, expected_errors, open_store
from frontier.cli.inspect import NameArg, frontier_context

if TYPE_CHECKING:
    from frontier.domain.specs import FrontierSpec, ModelRef


def model_of(value: str, spec: FrontierSpec) -> ModelRef:
    """A model the frontier's spec names (solver, verifier, panel), or one given inline as a
    YAML or JSON mapping, e.g. '{name: newcomer, provider: heuristic, skill: 0.5}'."""
    from frontier.domain.manifest import SpecError, parse_spec
    from frontier.domain.specs import ModelRef

    try:
        parsed = yaml.safe_load(value)
    except yaml.YAMLError as exc:
        raise typer.BadParameter(f"not a model name nor a YAML mapping: {exc}") from None
    if isinstance(parsed, dict):
        try:
            return parse_spec(ModelRef, parsed, source="--model", prefix="model")
        except SpecError as exc:
            raise typer.BadParameter(str(exc), param_hint="--model") from None
    known = {m.name: m for m in (spec.solver, *spec.verifiers, *spec.calibration.panel)}
    if value not in known:
        raise typer.BadParameter(
            f"{value!r} is not a model of this frontier (known: {', '.join(sorted(known))}); "
            "or give one inline, e.g. '{name: newcomer, provider: heuristic, skill: 0.5}'",
            param_hint="--model",
        )
    return known[value]


def place(
    name: NameArg = None,
    model: Annotated[
        str,
        typer.Option(
            "--model",
            "-m",
            help="A model the spec names, or an inline YAML mapping (a model reference).",
        ),
    ] = ...,  # type: ignore[assignment]
    slice_version: Annotated[
        int | None,
        typer.Option("--slice", min=1, help="Ask this slice version's tasks (default: latest)."),
    ] = None,
    target_se: Annotated[
        float, typer.Option(min=0.01, help="Stop once θ's standard error is at most this.")
    ] = 0.3,
    max_items: Annotated[int, typer.Option(min=1, help="Ask at most this many tasks.")] = 15,
    k: Annotated[
        int | None,
        typer.Option(min=1, help="Rollouts per task asked (default: spec.verification.k)."),
    ] = None,
    calibration: Annotated[
        int | None,
        typer.Option(min=1, help="The calibration version to place on (default: latest)."),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the rollouts.")] = 0,
    db: DbOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the placement as JSON.")] = False,
) -> None:
    """Place a model on the item bank adaptively: θ ± SE from a few tasks, and its expected
    pass@1 on every slice version. Running it again resumes (or replays) the same test."""
    from frontier.domain.specs import PlacementSpec
    from frontier.pipeline.placement import place as run_placement
    from frontier.store import NotFoundError

    with expected_errors():
        ctx = frontier_context(open_store(db), name)
        ref = model_of(model, ctx.spec)
        versions = ctx.store.slice_versions(ctx.frontier)
        if slice_version is None and not versions:
            raise NotFoundError(f"{ctx.frontier} has no slice version yet to place a model on")
        version = slice_version or versions[-1]
        spec = PlacementSpec(target_se=target_se, max_items=max_items, calibration=calibration)
        result = asyncio.run(
            run_placement(ctx, ref, version, spec, k=k or ctx.spec.verification.k, seed=seed)
        )
    if as_json:
        typer.echo(json.dumps({"sliceVersion": version, **result.to_wire()}, indent=2))
        return
    console.print(result.headline())
    table = Table(title=f"{result.model} on the item bank (calibration v{result.calibration})")
    table.add_column("slice")
    table.add_column("calibrated tasks", justify="right")
    table.add_column("expected pass@1", justify="right")
    for forecast in result.slices:
        table.add_row(f"v{forecast.version}", str(forecast.items), f"{forecast.expected_pass:.3f}")
    console.print(table)
    console.print(f"asked (in order): {', '.join(result.items)}")
