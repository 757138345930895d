"""The same stopwatch as timed_cluster.py, on a real kube-apiserver: watches instead of handlers.

A bare control plane (etcd and kube-apiserver, built by scripts/ensure-control-plane;
no controller-manager or scheduler, so no Job controller fights the bench, which plays
the workers and the Job controller itself) with the chart's CRDs applied. The
bench's own watch streams on Jobs and Frontiers take the timestamps: a Job's event
whose status first says Complete, a Frontier's whose status first says Ready with
bands. Both arrive through the same kind of stream in the same process, so the
latency between them is the server's and the operator's, plus one watch delivery
(the emulator stamps the writes themselves, the same moment less that delivery).

Requests are counted from the server's own `apiserver_request_total` (every client:
with no controllers running, that is the operator and the bench's Job patches, which
the bench subtracts); the operator's watches are known to be open from
`apiserver_longrunning_requests` (the bench's own two streams subtracted).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import ssl
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import yaml
from bench.operator.timed_cluster import _has_true, until_set
from tests.support.control_plane import ControlPlane, control_plane

CRDS = Path(__file__).resolve().parents[2] / "charts" / "frontier-operator" / "crds"
WATCHED_BY_BENCH = {"frontiers": 1, "jobs": 1}
VERBS = {"POST": "create", "GET": "get", "LIST": "list", "PATCH": "update", "PUT": "update"}
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
_SAMPLE = re.compile(r"^(\w+)\{([^}]*)\} ([0-9.e+]+)$")


class RealCluster:
    """created_at, job_done_at, ready_at, watched, requests and until(), as TimedCluster."""

    def __init__(self, plane: ControlPlane) -> None:
        config = yaml.safe_load(plane.admin_kubeconfig.read_text())
        self.server = config["clusters"][0]["cluster"]["server"]
        self.kubeconfig = plane.admin_kubeconfig
        self._plane = plane
        self._ssl = ssl.create_default_context(cafile=str(plane.pki / "ca.crt"))
        self._headers = {"Authorization": f"Bearer {plane.admin_token}"}
        self.created_at: dict[tuple[str, str], float] = {}
        self.job_done_at: dict[str, float] = {}
        self.ready_at: dict[str, float] = {}
        self.watched: set[str] = set()
        self.changed = asyncio.Event()
        self._base: Counter[tuple[str, str]] = Counter()
        self.requests: Counter[tuple[str, str]] = Counter()
        """Requests served since the bench started watching, as of the last `count()`."""
        self._session: aiohttp.ClientSession | None = None
        self._tasks: list[asyncio.Task[None]] = []

    async def __aenter__(self) -> RealCluster:
        self._session = aiohttp.ClientSession(
            headers=self._headers, connector=aiohttp.TCPConnector(ssl=self._ssl)
        )
        self._base = await self._request_totals()
        ready = [asyncio.Event(), asyncio.Event()]
        self._tasks = [
            asyncio.create_task(self._watch("/apis/batch/v1/jobs", "jobs", ready[0])),
            asyncio.create_task(
                self._watch("/apis/frontier.dev/v1alpha1/frontiers", "frontiers", ready[1])
            ),
            asyncio.create_task(self._poll_watches()),
        ]
        await asyncio.wait_for(asyncio.gather(*(e.wait() for e in ready)), 30)
        return self

    async def __aexit__(self, *exc: object) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._session is not None:
            await self._session.close()

    def server_cpu_seconds(self) -> float:
        """kube-apiserver's and etcd's CPU time so far (utime + stime, from /proc)."""
        total = 0
        for process in self._plane.processes:
            stat = Path(f"/proc/{process.popen.pid}/stat").read_text()
            fields = stat.rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        return total / CLOCK_TICKS

    async def count(self) -> None:
        """Refresh `requests` from the server's metrics."""
        self.requests = +(await self._request_totals() - self._base)

    async def _metrics(self) -> list[tuple[str, dict[str, str], float]]:
        assert self._session is not None
        async with self._session.get(f"{self.server}/metrics") as reply:
            text = await reply.text()
        samples = []
        for line in text.splitlines():
            found = _SAMPLE.match(line)
            if found is None:
                continue
            labels = dict(re.findall(r'(\w+)="([^"]*)"', found.group(2)))
            samples.append((found.group(1), labels, float(found.group(3))))
        return samples

    async def _request_totals(self) -> Counter[tuple[str, str]]:
        totals: Counter[tuple[str, str]] = Counter()
        for name, labels, value in await self._metrics():
            if name != "apiserver_request_total" or labels.get("verb") == "WATCH":
                continue
            resource = labels.get("resource", "")
            if not resource:
                continue
            totals[
                (VERBS.get(labels.get("verb", ""), labels.get("verb", "").lower()), resource)
            ] += int(value)
        return totals

    async def _poll_watches(self) -> None:
        """Which resources someone other than the bench watches (until all are)."""
        while True:
            for name, labels, value in await self._metrics():
                if name == "apiserver_longrunning_requests" and labels.get("verb") == "WATCH":
                    resource = labels.get("resource", "")
                    if value > WATCHED_BY_BENCH.get(resource, 0) and resource not in self.watched:
                        self.watched.add(resource)
                        self.changed.set()
            await asyncio.sleep(0.5)

    async def _events(self, path: str, ready: asyncio.Event) -> AsyncIterator[dict[str, Any]]:
        assert self._session is not None
        version = ""
        while True:
            async with self._session.get(f"{self.server}{path}", params={"limit": "1"}) as reply:
                version = (await reply.json())["metadata"]["resourceVersion"]
            params = {"watch": "1", "resourceVersion": version, "timeoutSeconds": "3600"}
            timeout = aiohttp.ClientTimeout(total=None, sock_read=None)
            async with self._session.get(
                f"{self.server}{path}", params=params, timeout=timeout
            ) as reply:
                ready.set()
                async for line in reply.content:
                    if line.strip():
                        yield json.loads(line)

    async def _watch(self, path: str, plural: str, ready: asyncio.Event) -> None:
        async for event in self._events(path, ready):
            now = time.monotonic()
            obj = event.get("object") or {}
            name = str((obj.get("metadata") or {}).get("name"))
            status = obj.get("status") or {}
            if event.get("type") == "ADDED":
                self.created_at.setdefault((plural, name), now)
                self.changed.set()
            if plural == "jobs" and name not in self.job_done_at and _has_true(status, "Complete"):
                self.job_done_at[name] = now
                self.changed.set()
            elif (
                plural == "frontiers"
                and name not in self.ready_at
                and status.get("phase") == "Ready"
                and status.get("bands")
            ):
                self.ready_at[name] = now
                self.changed.set()

    async def until(self, predicate: Any, timeout: float, what: str) -> None:
        """Wait (on the bench's own watch streams) until `predicate()` holds."""
        await until_set(self.changed, predicate, timeout, what)


def established(plane: ControlPlane, timeout: float = 60) -> None:
    """Every CRD Established (`kubectl wait` fails at once on one with no status yet)."""
    deadline = time.monotonic() + timeout
    while True:
        crds = json.loads(plane.kubectl("get", "crd", "-o", "json").stdout)["items"]
        if crds and all(_has_true(c.get("status") or {}, "Established") for c in crds):
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"CRDs not Established after {timeout:g}s")
        time.sleep(0.2)


@contextlib.asynccontextmanager
async def real_cluster(tmp: Path) -> AsyncIterator[RealCluster]:
    """A bare control plane with the CRDs Established, and the bench's watches on it."""
    with control_plane(tmp / "control-plane", controllers=False) as plane:
        plane.kubectl("apply", "--server-side", "-f", str(CRDS))
        established(plane)
        async with RealCluster(plane) as cluster:
            yield cluster
