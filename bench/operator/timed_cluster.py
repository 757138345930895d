"""The test emulator, with a stopwatch at the API server: when a write lands, not when a poll sees it.

Latency is measured where a client would see it first, the moment the API server
stores the write: from the Job status patch that says Complete to the Frontier status
patch that first says Ready with bands (a Frontier shows live, partial bands while
its workers write rollouts, so bands alone do not mean the run was taken in). Both timestamps come from the same clock in the same
handler, so neither a poll interval nor the bench's own client adds to them. The
emulator also counts requests per (verb, resource), to show what one reconcile costs
the API server, and which resources the operator watches (so the bench knows when
the operator is up).

One change to the emulator's cost, not its behaviour: kmock logs every request it
serves and, to route a new one, scans that log for it (by identity, through its
filters), so each request costs more than the last and after a few thousand requests
the emulator, not the operator, is the bottleneck. Here a request leaves the log once
it has been served (the bench never asserts on the log), so the log holds only the
requests in flight, and the reactions' own logs are emptied now and then.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from typing import Any

import attrs
import kmock
from tests.support.kube import Cluster

REACTION_LOG = 1000
"""Requests a reaction may log before its log is emptied (kmock keeps all, for assertions)."""


def _has_true(status: dict[str, Any], kind: str) -> bool:
    return any(
        c.get("type") == kind and c.get("status") == "True" for c in status.get("conditions") or []
    )


async def until_set(changed: asyncio.Event, predicate: Any, timeout: float, what: str) -> None:
    """Wait until `predicate()` holds, checking it each time `changed` is set."""
    deadline = time.monotonic() + timeout
    while True:
        changed.clear()
        if predicate():
            return
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(changed.wait(), timeout=min(left, 0.5))


@attrs.define(kw_only=True)
class TimedCluster(Cluster):
    """Cluster that records when Jobs complete and when Frontiers first turn Ready with bands."""

    created_at: dict[tuple[str, str], float] = attrs.field(factory=dict, init=False)
    """(plural, name) -> monotonic time the object was created."""
    job_done_at: dict[str, float] = attrs.field(factory=dict, init=False)
    """Job name -> monotonic time its Complete status was stored."""
    ready_at: dict[str, float] = attrs.field(factory=dict, init=False)
    """Frontier name -> monotonic time a Ready status with bands was first stored."""
    watched: set[str] = attrs.field(factory=set, init=False)
    """Plurals someone opened a watch on."""
    requests: Counter[tuple[str, str]] = attrs.field(factory=Counter, init=False)
    """(verb, plural) -> how many requests were served."""
    _changed: asyncio.Event | None = attrs.field(default=None, init=False)

    @property
    def changed(self) -> asyncio.Event:
        """Set whenever a new stopwatch entry is recorded (waiters clear it)."""
        if self._changed is None:
            self._changed = asyncio.Event()
        return self._changed

    async def _serve_watch(self, request: kmock.Request) -> Any:
        if request.resource is not None and request.resource.plural:
            self.watched.add(request.resource.plural)
        async for item in super()._serve_watch(request):
            yield item

    async def _handle(self, request: kmock.Request) -> Any:
        resource = request.resource
        try:
            response = await super()._handle(request)
        finally:  # errors (409 on a create that adopts, 404) are requests too
            self._forget(request)
            if resource is not None and resource.plural:
                action = request.action.name.lower() if request.action is not None else "other"
                self.requests[(action, resource.plural)] += 1
        if resource is None or not resource.plural:
            return response
        now = time.monotonic()
        if request.action == kmock.action.CREATE and response.status == 201:
            name = ((request.data or {}).get("metadata") or {}).get("name")
            self.created_at.setdefault((resource.plural, str(name)), now)
            self.changed.set()
            return response
        if request.subresource != "status" or request.name is None:
            return response
        obj = self.object(resource, request.namespace, request.name)
        if obj is None:
            return response
        status = obj.raw.get("status") or {}
        if (
            resource.plural == "jobs"
            and request.name not in self.job_done_at
            and _has_true(status, "Complete")
        ):
            self.job_done_at[request.name] = now
            self.changed.set()
        elif (
            resource.plural == "frontiers"
            and request.name not in self.ready_at
            and status.get("phase") == "Ready"
            and status.get("bands")
        ):
            self.ready_at[request.name] = now
            self.changed.set()
        return response

    def _forget(self, request: kmock.Request) -> None:
        """Drop a served request from the logs kmock scans to route the next one."""
        for index in range(len(self._requests) - 1, -1, -1):
            if self._requests[index] is request:
                del self._requests[index]
                break
        for payload in self._payloads:
            if len(payload._requests) > REACTION_LOG:
                payload._requests.clear()

    async def until(self, predicate: Any, timeout: float, what: str) -> None:
        """Wait (without polling the API) until `predicate()` holds."""
        await until_set(self.changed, predicate, timeout, what)
