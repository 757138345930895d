"""Frontier: record the spec, start the base profile, and after each finished run decide the next round.

The decision itself (saturation, cooldown, round limit, one active round) is the
pipeline's `plan_round`, the same one `frontier run` uses; this module turns its
answer into Kubernetes objects: a `SaturationDetected` Event and a MutationRound.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import kopf

from frontier.domain import naming
from frontier.domain.manifest import SpecError, parse_spec
from frontier.domain.rounds import FINISHED_PHASES, RoundPhase
from frontier.domain.runs import StoredRunPhase
from frontier.domain.specs import GROUP_VERSION, FrontierSpec
from frontier.domain.status import (
    BUDGET_EXCEEDED,
    BandCounts,
    FrontierStatus,
    SaturationEvent,
    rfc3339,
)
from frontier.operator import errors, manifests, metrics
from frontier.operator.jobs import digest
from frontier.operator.kube import Ref
from frontier.operator.runtime import RECONCILE_SECONDS, Runtime, runtime_of, with_conditions
from frontier.pipeline import cycle
from frontier.pipeline.context import Context, check_spec, open_context, stored_context
from frontier.store import NotFoundError

GROUP, VERSION, PLURAL = "frontier.dev", "v1alpha1", "frontiers"


def frontier_ref(namespace: str, name: str) -> Ref:
    return Ref(GROUP_VERSION, PLURAL, namespace, name)


@metrics.timed
async def reconcile(rt: Runtime, body: Mapping[str, Any]) -> None:
    """Record the spec in the store, ensure the base ProfileRun, then advance and report."""
    meta = body.get("metadata") or {}
    namespace, name = meta.get("namespace") or "default", meta["name"]
    source = f"Frontier {namespace}/{name}"
    try:
        spec = parse_spec(FrontierSpec, body.get("spec"), source=source)
        await asyncio.to_thread(check_spec, spec, source)  # the plugin's own names
    except SpecError as exc:
        await invalid(rt, body, exc)
        return
    async with rt.lock(f"{namespace}/{name}"):
        ctx = await rt.db(open_context, rt.store, name, spec, namespace=namespace)
        ref = manifests.FrontierRef.from_body(body)
        # the panel answers every task of the bank: the base tasks, then each version's new ones
        versions = (
            await rt.db(ctx.store.slice_versions, ctx.frontier) if spec.calibration.panel else []
        )
        for run in [
            manifests.base_profile_run(ref, spec),
            *manifests.panel_profile_runs(ref, spec),
            *(r for v in versions for r in manifests.panel_profile_runs(ref, spec, v)),
        ]:
            await rt.kube.create(run)
        await advance(rt, ctx, body)


async def after_child(rt: Runtime, ctx: Context) -> None:
    """A child run or round changed state: advance the frontier (the caller holds its lock)."""
    body = await rt.kube.get(frontier_ref(ctx.namespace, ctx.name))
    if body is not None:
        await advance(rt, ctx, body)


async def child_context(rt: Runtime, namespace: str, frontier: str) -> Context | None:
    try:
        return await rt.db(stored_context, rt.store, f"{namespace}/{frontier}")
    except NotFoundError:
        return None


async def advance(rt: Runtime, ctx: Context, body: Mapping[str, Any]) -> None:
    """Once the base profile is done: check saturation, start the next round, refresh status."""
    await report(rt, ctx, body, await rt.db(cycle.advance, ctx, base_run_name(ctx)))


async def report(
    rt: Runtime, ctx: Context, body: Mapping[str, Any], state: cycle.FrontierState
) -> None:
    """What `cycle.advance` decided, in Kubernetes: the saturation Event, the MutationRound
    of an unfinished round (with its RoundStarted Event) and the Frontier's status."""
    # The latest crossing; its fixed name makes a repeat (or a resume) a no-op.
    if state.saturations:
        await rt.event(
            body,
            "SaturationDetected",
            state.saturations[-1].message,
            key=str(len(state.saturations)),
            action="CheckSaturation",
        )
    ref = manifests.FrontierRef.from_body(body)
    for record in state.rounds:
        if record.phase in FINISHED_PHASES:
            continue
        child = manifests.mutation_round(
            ref, record.number, record.trigger, record.from_slice_version
        )
        _, created = await rt.kube.create(child)
        if created:
            await rt.event(
                body,
                "RoundStarted",
                f"{child['metadata']['name']} started: {record.trigger}",
                key=str(record.number),
                action="StartRound",
            )
    await rt.patch_status(body, frontier_status(ctx, body, state).to_wire())


def base_run_name(ctx: Context) -> str:
    return naming.base_profile_run_of(ctx.name, ctx.spec)


def frontier_status(
    ctx: Context, body: Mapping[str, Any], state: cycle.FrontierState
) -> FrontierStatus:
    base, rounds = state.base, state.rounds
    active = [r for r in rounds if r.phase not in FINISHED_PHASES]
    if base is None or base.phase != StoredRunPhase.SUCCEEDED:
        phase, reason = (
            ("Failed", "ProfileFailed")
            if base and base.phase == StoredRunPhase.FAILED
            else ("Profiling", "Profiling")
        )
    elif active and active[0].phase == RoundPhase.VERIFYING:
        phase, reason = "Verifying", "Verifying"
    elif active:
        phase, reason = "Mutating", "RoundInProgress"
    else:
        phase, reason = "Ready", "FrontierReady"
    failed = sorted(r.name for r in state.runs if r.phase == StoredRunPhase.FAILED)
    bands = state.bands
    message = (
        f"{bands.hillclimbable} of {bands.total} tasks hillclimbable"
        + (f", slice v{state.slice_version}" if state.slice_version else "")
        if bands.total
        else "the base profile has failed"
        if phase == "Failed"
        else "profiling the base tasks"
    )
    conditions = with_conditions(
        body,
        [
            ("SpecValid", "True", "SpecAccepted", ""),
            ("Ready", "True" if phase == "Ready" else "False", reason, message),
            (
                "Progressing",
                "True" if phase in ("Profiling", "Mutating", "Verifying") else "False",
                reason,
                message,
            ),
            (
                "Degraded",
                "True" if failed else "False",
                "RunFailed" if failed else "AsExpected",
                f"failed: {', '.join(failed)}" if failed else "",
            ),
            _budget_condition(ctx, state),
        ],
    )
    last = state.saturations[-1] if state.saturations else None
    return FrontierStatus(
        phase=phase,
        observed_generation=(body.get("metadata") or {}).get("generation"),
        conditions=conditions,
        bands=BandCounts.model_validate(bands.as_dict()) if bands.total else None,
        slice_version=state.slice_version,
        rounds=len(rounds),
        active_round=naming.round_name(ctx.name, active[0].number) if active else None,
        last_saturation=SaturationEvent(time=rfc3339(last.at), reason=last.message[:1024])
        if last
        else None,
        solver=state.solver,
    )


def _budget_condition(ctx: Context, state: cycle.FrontierState) -> tuple[str, str, str, str]:
    if state.budget_hold is not None:
        return (BUDGET_EXCEEDED, "True", "BudgetReached", state.budget_hold)
    limited = ctx.spec.budget.max_cost_usd is not None or (
        ctx.spec.budget.max_round_cost_usd is not None
    )
    return (
        BUDGET_EXCEEDED,
        "False",
        "WithinBudget" if limited else "NoBudget",
        "within spec.budget" if limited else "spec.budget sets no limit",
    )


async def invalid(rt: Runtime, body: Mapping[str, Any], exc: SpecError) -> None:
    """A spec the schema let through but the models reject: say where, once, and wait."""
    message = "; ".join(str(e) for e in exc.errors)[:4000]
    conditions = with_conditions(
        body,
        [
            ("SpecValid", "False", "InvalidSpec", message),
            ("Ready", "False", "InvalidSpec", message),
            ("Progressing", "False", "InvalidSpec", message),
        ],
        now=datetime.now(UTC),
    )
    status = FrontierStatus(
        phase="Invalid",
        observed_generation=(body.get("metadata") or {}).get("generation"),
        conditions=conditions,
    )
    await rt.patch_status(body, status.to_wire())
    await rt.event(body, "InvalidSpec", message, key=digest(message), type="Warning")


# --- handlers ---------------------------------------------------------------


@kopf.on.resume(GROUP, VERSION, PLURAL)
@kopf.on.create(GROUP, VERSION, PLURAL)
@kopf.on.update(GROUP, VERSION, PLURAL, field="spec")
async def frontier_changed(body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    with errors.decided():
        await reconcile(runtime_of(memo), body)


@kopf.timer(GROUP, VERSION, PLURAL, interval=RECONCILE_SECONDS, initial_delay=RECONCILE_SECONDS)
async def frontier_timer(body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    """A safety net: cooldowns expire and missed events are caught up without a trigger.

    When the status already reflects this generation, the spec is in the store and
    the base ProfileRun exists, so a tick only advances from the store: no spec
    write, no create answered 409.
    """
    rt = runtime_of(memo)
    with errors.decided(timer=True):
        await _tick(rt, body)


async def _tick(rt: Runtime, body: Mapping[str, Any]) -> None:
    async with rt.timer_lanes():
        meta = body.get("metadata") or {}
        status = body.get("status") or {}
        settled = status.get("observedGeneration") == meta.get("generation") and status.get(
            "phase"
        ) not in (None, "Pending", "Invalid")
        ctx = (
            await child_context(rt, meta.get("namespace") or "default", meta["name"])
            if settled
            else None
        )
        if ctx is None:
            await reconcile(rt, body)
            return
        async with rt.lock(ctx.frontier):
            await advance(rt, ctx, body)
