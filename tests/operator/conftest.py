"""The real kopf operator against kmock over HTTP, with the store on a temporary SQLite file.

Nothing here patches the kubernetes client or kopf: the emulator listens on a port,
kopf logs in through a login handler naming it, the operator's own client reads a
kubeconfig naming it, and Jobs are "run" by invoking the worker command each Job
carries, in-process, then setting the Job's status through the API.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import kmock
import kopf
import pytest
import pytest_asyncio
from typer.testing import CliRunner

import frontier.operator.main  # noqa: F401  (registers the handlers)
from frontier.cli.worker import app as worker_app
from frontier.operator.kube import Kube, Ref
from frontier.operator.runtime import OperatorConfig, Runtime
from frontier.store import Store
from tests.support.kube import Cluster, declare_resources, kubeconfig

NAMESPACE = "default"


@kopf.on.login()
def login_to_emulator(memo: kopf.Memo, **_: Any) -> kopf.ConnectionInfo:
    """Tests only: point kopf at the emulator of the running test."""
    server = getattr(memo, "server", None) or os.environ["FRONTIER_TEST_KUBE_SERVER"]
    return kopf.ConnectionInfo(server=server, token="test-token", scheme="Bearer")


def store_in(directory: Path) -> str:
    """A fresh, migrated SQLite store in `directory`; its DSN."""
    url = f"sqlite:///{directory / 'frontier.db'}"
    Store.connect(url, auto_upgrade=True).close()
    return url


@pytest.fixture
def dsn(tmp_path: Path) -> Iterator[str]:
    yield store_in(tmp_path)


@contextlib.asynccontextmanager
async def serving(directory: Path, env: pytest.MonkeyPatch) -> AsyncIterator[Cluster]:
    """An emulator on a port, named by kopf's login and by a kubeconfig in `directory`.

    A test that needs a second, independent cluster (a fault-free run to compare
    with) opens one with its own `env` context, so the first one's settings return.
    """
    async with Cluster() as handler, kmock.Server(handler) as server:
        declare_resources(handler)
        handler.server_url = str(server.url).rstrip("/")
        env.setenv("FRONTIER_TEST_KUBE_SERVER", handler.server_url)
        env.setenv("KUBECONFIG", str(kubeconfig(handler.server_url, directory / "kubeconfig")))
        yield handler


@pytest_asyncio.fixture
async def cluster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Cluster]:
    async with serving(tmp_path, monkeypatch) as handler:
        yield handler


class Operator:
    """One operator process: start, stop, start again (a restart keeps nothing in memory).

    It runs in its own thread and event loop, as `kopf run` would in its own process:
    kopf's shutdown then waits only for its own tasks, not for the test's.
    """

    started = itertools.count(1)

    def __init__(
        self, cluster: Cluster, dsn: str, *, peering: str | None = None, priority: int | None = None
    ) -> None:
        self.cluster = cluster
        self.dsn = dsn
        self.peering = peering
        self.priority = priority  # None: the operator's own choice (frontier.operator.main)
        self.identity = f"replica-{next(Operator.started)}"  # also the thread's name
        self.settings = kopf.OperatorSettings()
        self.thread: threading.Thread | None = None
        self.stop_flag: threading.Event | None = None
        self.error: BaseException | None = None

    async def start(self) -> None:
        self.stop_flag, ready = threading.Event(), threading.Event()
        self.settings = kopf.OperatorSettings()
        runtime = Runtime(store=Store.connect(self.dsn), kube=Kube(), config=OperatorConfig())
        memo = kopf.Memo(runtime=runtime, server=self.cluster.server_url)
        stop_flag = self.stop_flag

        def main() -> None:
            try:
                asyncio.run(
                    kopf.operator(
                        standalone=self.peering is None,
                        peering_name=self.peering,
                        priority=self.priority,
                        identity=self.identity,  # type: ignore[arg-type]
                        settings=self.settings,
                        clusterwide=True,
                        stop_flag=stop_flag,
                        ready_flag=ready,
                        memo=memo,
                    )
                )
            except BaseException as exc:  # surfaced by stop()
                self.error = exc
            finally:
                runtime.kube.close()
                runtime.store.close()

        self.thread = threading.Thread(target=main, name=self.identity, daemon=True)
        self.thread.start()
        assert await asyncio.to_thread(ready.wait, 15), "the operator did not start"

    async def stop(self) -> None:
        if self.thread is None or self.stop_flag is None:
            return
        self.stop_flag.set()
        await asyncio.to_thread(self.thread.join, 15)
        assert not self.thread.is_alive(), "the operator did not stop"
        self.thread = None
        if self.error is not None:
            raise self.error


@pytest_asyncio.fixture
async def operator(cluster: Cluster, dsn: str) -> AsyncIterator[Operator]:
    op = Operator(cluster, dsn)
    await op.start()
    try:
        yield op
    finally:
        await op.stop()


@pytest_asyncio.fixture
async def kube(cluster: Cluster) -> AsyncIterator[Kube]:
    client = Kube()
    yield client
    client.close()


async def eventually(
    probe: Callable[[], Awaitable[Any]], *, timeout: float = 20.0, what: str = "condition"
) -> Any:
    """Poll `probe` until it returns something truthy (and return that)."""
    deadline = time.monotonic() + timeout
    while True:
        found = await probe()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.1)


def ref(plural: str, name: str | None = None) -> Ref:
    api = (
        "batch/v1"
        if plural == "jobs"
        else "events.k8s.io/v1"
        if plural == "events"
        else "frontier.dev/v1alpha1"
    )
    return Ref(api, plural, NAMESPACE, name)


async def run_worker(job: dict[str, Any], dsn: str, index: int) -> None:
    """Do what the pod of one index of the Job would: run its worker command."""
    command = list(job["spec"]["template"]["spec"]["containers"][0]["command"])
    assert command[:2] == ["frontier", "worker"], command
    result = await asyncio.to_thread(
        CliRunner().invoke,
        worker_app,
        [*command[2:], "--db", dsn],
        env={"JOB_COMPLETION_INDEX": str(index)},
    )
    assert result.exit_code == 0, result.output


async def run_job(
    kube: Kube, job: dict[str, Any], dsn: str, *, indexes: Iterable[int] | None = None
) -> None:
    """Do what the Job's pods would: run its worker command once per index, then report success.

    `indexes` are the ones still to run when the others' pods already have (default: all).
    """
    completions = job["spec"]["completions"]
    for index in range(completions) if indexes is None else indexes:
        await run_worker(job, dsn, index)
    await kube.patch_status(
        Ref("batch/v1", "jobs", NAMESPACE, job["metadata"]["name"]),
        {
            "startTime": "2026-01-01T00:00:00Z",
            "completionTime": "2026-01-01T00:01:00Z",
            "succeeded": completions,
            "completedIndexes": f"0-{completions - 1}" if completions > 1 else "0",
            "conditions": [
                {"type": "SuccessCriteriaMet", "status": "True"},
                {"type": "Complete", "status": "True"},
            ],
        },
    )
