"""What every handler shares: the store, the Kubernetes facade, the settings, one lock per frontier.

The lock serialises decisions about one frontier (finishing a run, planning a round)
across handlers that kopf runs concurrently: a Job's status change and its run's
timer may arrive together, and the second must see the first one's result.
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from frontier.domain.specs import JobTemplate, SecretKeyRef
from frontier.domain.status import Condition, set_condition
from frontier.operator.kube import Kube, Ref
from frontier.store import Store

T = TypeVar("T")

DEFAULT_DATABASE_SECRET = SecretKeyRef(name="frontier-database", key="dsn")
CONTROLLER = "frontier.dev/operator"
RECONCILE_SECONDS = float(os.environ.get("FRONTIER_RECONCILE_SECONDS", "30"))
"""How often timers re-check every object, in case an event was missed."""


@dataclass(frozen=True)
class OperatorConfig:
    """The operator's deployment-wide defaults (set by the Helm chart through the environment)."""

    database_secret: SecretKeyRef = DEFAULT_DATABASE_SECRET
    """The Secret key worker Jobs read the DSN from when spec.job.databaseSecret is unset."""
    worker_image: str | None = None
    """The worker image when a Frontier's spec.job.image is not set."""
    worker_service_account: str | None = None
    """The worker Jobs' service account when spec.job.serviceAccountName is not set."""
    instance: str = field(default_factory=socket.gethostname)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> OperatorConfig:
        """FRONTIER_DATABASE_SECRET (NAME/KEY), FRONTIER_WORKER_IMAGE, FRONTIER_WORKER_SERVICE_ACCOUNT."""
        env = os.environ if environ is None else environ
        secret = DEFAULT_DATABASE_SECRET
        raw = env.get("FRONTIER_DATABASE_SECRET")
        if raw:
            name, sep, key = raw.partition("/")
            if not sep or not name or not key:
                raise ValueError(f"FRONTIER_DATABASE_SECRET must be NAME/KEY, got {raw!r}")
            secret = SecretKeyRef(name=name, key=key)
        return cls(
            database_secret=secret,
            worker_image=env.get("FRONTIER_WORKER_IMAGE") or None,
            worker_service_account=env.get("FRONTIER_WORKER_SERVICE_ACCOUNT") or None,
            instance=env.get("POD_ID") or socket.gethostname(),
        )

    def job_template(self, template: JobTemplate) -> JobTemplate:
        """A Frontier's job template with the deployment's defaults where the spec is silent."""
        updates: dict[str, Any] = {}
        # The stored spec carries defaults filled in, so "not set" means "the default image".
        if self.worker_image and template.image == JobTemplate().image:
            updates["image"] = self.worker_image
        if self.worker_service_account and template.service_account_name is None:
            updates["service_account_name"] = self.worker_service_account
        return template.model_copy(update=updates) if updates else template


@dataclass
class Runtime:
    store: Store
    kube: Kube
    config: OperatorConfig = field(default_factory=OperatorConfig)
    _locks: dict[str, asyncio.Lock] = field(default_factory=dict)
    _timer_lanes: asyncio.Semaphore | None = None

    def lock(self, frontier_key: str) -> asyncio.Lock:
        return self._locks.setdefault(frontier_key, asyncio.Lock())

    def timer_lanes(self) -> asyncio.Semaphore:
        """At most FRONTIER_TIMER_LANES periodic reconciles at once (default 2).

        Timers of objects applied together fire together; without a cap a wave of
        full reconciles fills the thread pool and a Job completion waits behind
        it. Event-driven reconciles (a Job finished) never wait for a lane.
        """
        if self._timer_lanes is None:
            lanes = int(os.environ.get("FRONTIER_TIMER_LANES", "2"))
            if lanes < 1:
                raise ValueError(f"FRONTIER_TIMER_LANES must be at least 1, got {lanes}")
            self._timer_lanes = asyncio.Semaphore(lanes)
        return self._timer_lanes

    async def db(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a store or pipeline call in a thread, off the event loop, as one transaction.

        One transaction per call (`Store.atomically`) rather than one per store method a
        pipeline function makes: a Job completion's reconcile made some 70 of them.
        """
        return await asyncio.to_thread(self.store.atomically, fn, *args, **kwargs)

    async def offload(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run CPU-heavy pipeline work (a calibration fit) in a thread, outside any one
        transaction: its store calls open their own, so no lock is held while it computes."""
        return await asyncio.to_thread(fn, *args, **kwargs)

    async def event(
        self,
        regarding: Mapping[str, Any],
        reason: str,
        note: str,
        *,
        key: str,
        type: str = "Normal",
        action: str = "Reconcile",
    ) -> None:
        """Post an events.k8s.io/v1 Event; the same `key` never posts twice (a fixed name)."""
        meta = regarding.get("metadata") or {}
        name = f"{meta.get('name')}.{reason.lower()}-{key}"[:253].rstrip("-.")
        body = {
            "apiVersion": "events.k8s.io/v1",
            "kind": "Event",
            "metadata": {"name": name, "namespace": meta.get("namespace") or "default"},
            "eventTime": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "reportingController": CONTROLLER,
            "reportingInstance": self.config.instance[:128],
            "action": action,
            "reason": reason,
            "note": note[:1024],
            "type": type,
            "regarding": {
                "apiVersion": regarding.get("apiVersion"),
                "kind": regarding.get("kind"),
                "name": meta.get("name"),
                "namespace": meta.get("namespace") or "default",
                "uid": meta.get("uid"),
            },
        }
        await self.kube.create(body)

    async def patch_status(
        self, body: Mapping[str, Any], status: Mapping[str, Any]
    ) -> dict[str, Any] | None:
        """Patch the status unless it already says the same (no watch event for nothing)."""
        current = {k: v for k, v in (body.get("status") or {}).items() if k != "kopf"}
        wanted = {k: v for k, v in status.items() if k != "kopf"}
        if _same(current, wanted):
            return None
        # Fields the new status no longer has are cleared (merge-patch null).
        patch: dict[str, Any] = {k: None for k in current if k not in wanted}
        patch.update(wanted)
        return await self.kube.patch_status(Ref.of(body), patch)


def _same(current: Mapping[str, Any], wanted: Mapping[str, Any]) -> bool:
    return dict(current) == dict(wanted)


def conditions_of(body: Mapping[str, Any]) -> list[Condition]:
    raw = (body.get("status") or {}).get("conditions") or []
    out: list[Condition] = []
    for item in raw:
        try:
            out.append(Condition.model_validate(item))
        except ValueError:
            continue  # someone else's malformed entry: rebuilt below
    return out


def with_conditions(
    body: Mapping[str, Any],
    updates: list[tuple[str, str, str, str]],
    *,
    now: datetime | None = None,
) -> list[Condition]:
    """The body's conditions with (type, status, reason, message) updates applied."""
    moment = now or datetime.now(UTC)
    generation = (body.get("metadata") or {}).get("generation")
    conditions = conditions_of(body)
    for type_, status, reason, message in updates:
        conditions = set_condition(
            conditions,
            type=type_,
            status=status,  # type: ignore[arg-type]
            reason=reason,
            message=message,
            now=moment,
            observed_generation=int(generation) if generation is not None else None,
        )
    return conditions


def runtime_of(memo: Any) -> Runtime:
    """The Runtime the operator's startup handler (or a test) put into kopf's memo."""
    runtime = getattr(memo, "runtime", None)
    if not isinstance(runtime, Runtime):
        raise RuntimeError("the operator's runtime is not set up (startup handler missing?)")
    return runtime


def unfinished(status: Mapping[str, Any], **_: Any) -> bool:
    """A kopf `when` filter: keep polling a run only until it has finished."""
    return status.get("phase") not in ("Succeeded", "Failed")
