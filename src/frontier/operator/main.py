"""The operator's entry module: `kopf run -m frontier.operator.main`, or `frontier operator`.

Importing it registers every handler (one module per kind) and the startup handler
that configures kopf: handler progress and the last-handled configuration kept in
`status.kopf` (not annotations, so GitOps tools see no drift on what users apply),
peering under one name with a priority of this replica's own (`replica_priority`), so
that exactly one of several replicas is active, and the runtime
(store, Kubernetes facade) unless a test has put one into the memo already, and the
Prometheus endpoint (frontier.operator.metrics) on FRONTIER_METRICS_PORT (default 9090)
for that runtime's store; a test that brings its own runtime asks for it with
`memo.metrics_port` (0: any free port).
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
from typing import Any

import kopf

from frontier.operator import (
    frontier,
    jobs,
    metrics,
    mutationround,
    profilerun,
    verificationrun,
)
from frontier.operator.kube import Kube, Ref
from frontier.operator.manifests import MANAGED_BY
from frontier.operator.runtime import OperatorConfig, Runtime, runtime_of
from frontier.store import Store, default_dsn

PRIORITY_ENV = "FRONTIER_PEERING_PRIORITY"
LOWEST_REPLICA_PRIORITY = -(2**31 - 1)

logger = logging.getLogger(__name__)

RECONCILERS = {
    "ProfileRun": profilerun.reconcile,
    "MutationRound": mutationround.reconcile,
    "VerificationRun": verificationrun.reconcile,
}


def replica_priority() -> int:
    """A random negative peering priority, drawn at each start.

    kopf pauses every operator that sees a live peer of the same priority, so replicas
    sharing a fixed priority would all stand still; drawn from two billion values they
    practically never tie, the highest is active and the others wait until its record
    leaves the peering object (removed on a clean exit, expired after a crash). Negative,
    so that any operator given a positive priority (`kopf run --dev` is 666) outranks
    every replica and pauses them all.
    """
    return random.SystemRandom().randint(LOWEST_REPLICA_PRIORITY, -1)


def configure(settings: kopf.OperatorSettings) -> None:
    """kopf settings every replica shares (also used by tests that start kopf themselves).

    The peering priority is kept when one was given (`--priority`, not 0); else it is
    FRONTIER_PEERING_PRIORITY, else `replica_priority()`.
    """
    settings.persistence.progress_storage = kopf.StatusProgressStorage(field="status.kopf.progress")
    settings.persistence.diffbase_storage = kopf.StatusDiffBaseStorage(
        field="status.kopf.last-handled-configuration"
    )
    if os.environ.get("FRONTIER_PEERING_NAME"):  # else kopf's --peering / peering_name
        settings.peering.name = os.environ["FRONTIER_PEERING_NAME"]
    if settings.peering.priority == 0:  # kopf's default: nobody chose one
        chosen = os.environ.get(PRIORITY_ENV, "").strip()
        settings.peering.priority = int(chosen) if chosen else replica_priority()
    # Watch only the Jobs this operator made (server-side), not every Job of the cluster.
    settings.watching.label_selectors["batch", "jobs"] = (
        f"app.kubernetes.io/managed-by={MANAGED_BY}"
    )
    # Only kopf's warnings and errors become Events (a handler that failed and will retry);
    # the handlers post their own (timers succeed every few seconds and would flood the
    # namespace's events). kopf >= 1.44 posts no log message as an Event unless asked.
    settings.posting.loggers = True
    settings.posting.level = logging.WARNING
    # A deleted object's timers are stopped before its finalizer goes: a timer that is mid-
    # reconcile is re-checked this often (kopf's default, 60 s, held a Frontier's deletion
    # for about a minute), and one that exits at once is not waited for at all.
    settings.background.cancellation_polling = 1.0
    settings.background.instant_exit_timeout = 1.0
    settings.watching.server_timeout = 300
    settings.watching.client_timeout = 330


@kopf.on.startup()
async def startup(settings: kopf.OperatorSettings, memo: kopf.Memo, **_: Any) -> None:
    configure(settings)
    if not settings.peering.standalone:
        logger.info(
            "Peering as %r with priority %d: the live replica with the highest is active.",
            settings.peering.name,
            settings.peering.priority,
        )
    if getattr(memo, "runtime", None) is None:
        memo.runtime = Runtime(
            store=Store.connect(default_dsn()), kube=Kube(), config=OperatorConfig.from_env()
        )
        memo.owns_runtime = True
    port = getattr(memo, "metrics_port", None)
    if port is None and getattr(memo, "owns_runtime", False):
        port = metrics.port_from_env()
    if port is not None and getattr(memo, "metrics_server", None) is None:
        memo.metrics_server = metrics.serve(runtime_of(memo).store, port)


@kopf.on.cleanup()
async def cleanup(memo: kopf.Memo, **_: Any) -> None:
    server = getattr(memo, "metrics_server", None)
    if server is not None:
        memo.metrics_server = None
        await asyncio.to_thread(server.close)
    if getattr(memo, "owns_runtime", False):
        runtime = runtime_of(memo)
        runtime.kube.close()
        runtime.store.close()


@kopf.on.event("batch", "v1", "jobs", labels={"app.kubernetes.io/managed-by": MANAGED_BY})
async def job_event(body: kopf.Body, type: str | None, memo: kopf.Memo, **_: Any) -> None:
    """A worker Job changed: reconcile the run or round that owns it, right away."""
    if type == "DELETED":
        return
    for owner in body.get("metadata", {}).get("ownerReferences") or []:
        reconcile = RECONCILERS.get(owner.get("kind"))
        if reconcile is None or not str(owner.get("apiVersion", "")).startswith("frontier.dev/"):
            continue
        rt = runtime_of(memo)
        ref = Ref(
            owner["apiVersion"],
            Kube.plural(owner["kind"]),
            body.metadata.namespace or "default",
            owner["name"],
        )
        found = await rt.kube.get(ref)
        if found is not None:
            with jobs.delivered(body):
                await reconcile(rt, found)


__all__ = ["configure", "frontier"]
