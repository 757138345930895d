"""The first steps every child kind shares: read its spec, lock its Frontier, find it in the store.

A ProfileRun, MutationRound or VerificationRun with an invalid spec is Failed with
the fields named (and a Warning Event); one whose Frontier the store does not hold
yet waits in Pending. Only then does the kind's own step run, under its Frontier's
lock, so the three kinds cannot drift apart in how they treat bad input.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import kopf

from frontier.domain.manifest import SpecError, parse_spec
from frontier.domain.specs import MutationRoundSpec, ProfileRunSpec, VerificationRunSpec
from frontier.operator import frontier, jobs
from frontier.operator.runtime import Runtime, runtime_of
from frontier.pipeline import budget
from frontier.pipeline.context import Context

ChildSpec = TypeVar("ChildSpec", ProfileRunSpec, MutationRoundSpec, VerificationRunSpec)


async def fail(rt: Runtime, body: Mapping[str, Any], reason: str, message: str) -> None:
    """Mark the child Failed for a reason retrying cannot fix, and say so in a Warning Event."""
    status = jobs.run_status(body, None, phase="Failed", reason=reason, message=message)
    await rt.patch_status(body, status)
    await rt.event(body, reason, message, key=jobs.digest(message), type="Warning")


def budget_hold(rt: Runtime, ctx: Context) -> jobs.BudgetHold:
    """The hold a child's Jobs ask about when a budget stop ended one (one trip to the store)."""
    return lambda: rt.db(budget.hold, ctx)


async def reconcile_child(
    rt: Runtime,
    body: Mapping[str, Any],
    model: type[ChildSpec],
    kind: str,
    step: Callable[[Runtime, Context, Mapping[str, Any], ChildSpec], Awaitable[None]],
) -> None:
    """Parse, lock, find the Frontier, then `step(rt, ctx, body, spec)`."""
    meta = body.get("metadata") or {}
    namespace, name = meta.get("namespace") or "default", meta["name"]
    try:
        spec = parse_spec(model, body.get("spec"), source=f"{kind} {namespace}/{name}")
    except SpecError as exc:
        await fail(rt, body, "InvalidSpec", "; ".join(str(e) for e in exc.errors))
        return
    async with rt.lock(f"{namespace}/{spec.frontier}"):
        ctx = await frontier.child_context(rt, namespace, spec.frontier)
        if ctx is None:
            message = f"Frontier {spec.frontier} is not known yet"
            status = jobs.run_status(
                body, None, phase="Pending", reason="FrontierNotFound", message=message
            )
            await rt.patch_status(body, status)
            return
        await step(rt, ctx, body, spec)


async def tick(
    memo: kopf.Memo,
    body: Mapping[str, Any],
    reconcile: Callable[[Runtime, Mapping[str, Any]], Awaitable[None]],
) -> None:
    """A periodic reconcile, in one of the runtime's timer lanes."""
    rt = runtime_of(memo)
    async with rt.timer_lanes():
        await reconcile(rt, body)
