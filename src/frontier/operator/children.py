"""What every child kind shares: its kopf handlers, and the first steps of its reconcile.

A ProfileRun, MutationRound or VerificationRun with an invalid spec is Failed with
the fields named (and a Warning Event); one whose Frontier the store does not hold
yet waits in Pending. Only then does the kind's own step run, under its Frontier's
lock, so the three kinds cannot drift apart in how they treat bad input. Their
handlers (`register`) are the same: a change, a resume, and a timer while unfinished.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import kopf

from frontier.domain.manifest import SpecError, parse_spec
from frontier.domain.specs import (
    ModelRef,
    MutationRoundSpec,
    ProfileRunSpec,
    VerificationRunSpec,
)
from frontier.operator import errors, frontier, jobs, manifests
from frontier.operator.runtime import RECONCILE_SECONDS, Runtime, runtime_of, unfinished
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


def rollout_job(
    rt: Runtime,
    ctx: Context,
    body: Mapping[str, Any],
    child: ProfileRunSpec | VerificationRunSpec,
    *,
    work: str,
    stage: manifests.Stage,
    model: ModelRef,
    shards: int,
    parallelism: int | None = None,
) -> dict[str, Any]:
    """The worker Job that rolls out run `work` of a child (`frontier worker rollouts`).

    The child's spec names its Frontier and whether it is suspended; the Frontier's spec
    gives the Job template, the operator's config the default database Secret.
    """
    return manifests.worker_job(
        manifests.JobRequest(
            owner=body,
            frontier=child.frontier,
            work=work,
            stage=stage,
            command=manifests.rollouts_command(ctx.frontier, work),
            models=[model],
            template=rt.config.job_template(ctx.spec.job),
            shards=shards,
            default_database_secret=rt.config.database_secret,
            parallelism=parallelism,
            suspend=child.suspend,
        )
    )


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


GROUP, VERSION = "frontier.dev", "v1alpha1"
Reconcile = Callable[[Runtime, Mapping[str, Any]], Awaitable[None]]


def register(plural: str, reconcile: Reconcile) -> None:
    """Register a child kind's kopf handlers: on create, resume and spec change, and a timer
    while the child is unfinished (progress counts live in the store, which sends no watch
    events). Failures go through `errors.decided`."""
    kind = plural.removesuffix("s")

    async def changed(body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
        with errors.decided():
            await reconcile(runtime_of(memo), body)

    async def timer(body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
        with errors.decided(timer=True):
            await tick(memo, body, reconcile)

    changed.__name__ = changed.__qualname__ = f"{kind}_changed"
    timer.__name__ = timer.__qualname__ = f"{kind}_timer"
    for on in (kopf.on.resume, kopf.on.create):
        on(GROUP, VERSION, plural)(changed)
    kopf.on.update(GROUP, VERSION, plural, field="spec")(changed)
    kopf.timer(
        GROUP,
        VERSION,
        plural,
        interval=RECONCILE_SECONDS,
        initial_delay=RECONCILE_SECONDS,
        when=unfinished,
    )(timer)
