"""The operator on a real Kubernetes control plane, installed and used the way a user does.

One control plane per test session (tests/support/control_plane.py), with the test
kubelet (tests/support/kubelet.py) running pods as local processes on two Nodes: a CPU
node, and a GPU node with `nvidia.com/gpu` capacity, GPU labels and a taint. The CRDs are
applied with kubectl once; each test gets a namespace of its own and, through
`installed`, the Helm chart in that namespace (namespaced, standalone: the chart's
default), a fresh database, and the operator running as the chart's Deployment defines
it, under the chart's ServiceAccount and Role.

Without the binaries (no Go toolchain) the suite skips, except in CI (CI=true), where
that is an error: `make test` builds them with scripts/ensure-control-plane.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from dockerfile_parse import DockerfileParser

from tests.support.control_plane import ControlPlane, binaries, control_plane, free_port
from tests.support.faults import PostgresAdmin, pg_admin_url
from tests.support.kubelet import Image, Kubelet, NodeSpec

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "frontier-operator"
PROJECT_IMAGES = ("frontier-operator",)
"""Repositories (last path segment) of the project's own image: the kubelet runs these."""

GPU_NODE = NodeSpec(
    name="gpu-node",
    capacity={"cpu": "16", "memory": "64Gi", "pods": "110", "nvidia.com/gpu": "2"},
    labels={"nvidia.com/gpu.present": "true", "nvidia.com/gpu.product": "test-gpu"},
    taints=({"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"},),
)
CPU_NODE = NodeSpec(name="cpu-node", capacity={"cpu": "8", "memory": "32Gi", "pods": "110"})

if binaries() is None:
    if os.environ.get("CI"):
        raise RuntimeError("CI needs the control plane: run scripts/ensure-control-plane first")
    pytest.skip(
        "no control plane binaries (scripts/ensure-control-plane builds them)",
        allow_module_level=True,
    )


def project_image() -> Image:
    """The image's ENTRYPOINT, CMD and ENV, read from the Dockerfile's final stage."""
    parser = DockerfileParser(path=str(ROOT / "Dockerfile"))
    entrypoint: tuple[str, ...] = ()
    cmd: tuple[str, ...] = ()
    for instruction in parser.structure:
        if instruction["instruction"] == "FROM":
            entrypoint, cmd = (), ()
        elif instruction["instruction"] == "ENTRYPOINT":
            entrypoint = tuple(json.loads(instruction["value"]))
        elif instruction["instruction"] == "CMD":
            cmd = tuple(json.loads(instruction["value"]))
    env = {
        k: v for k, v in parser.envs.items() if k in ("PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE")
    }
    return Image(entrypoint=entrypoint, cmd=cmd, env=env)


def established(plane: ControlPlane, timeout: float = 60) -> None:
    """Wait until every CRD is Established. (`kubectl wait --for=condition=Established` fails
    at once on a CRD the server has not given a status yet, so it cannot be used right after
    the apply.)"""
    deadline = time.monotonic() + timeout
    while True:
        crds = json.loads(plane.kubectl("get", "crd", "-o", "json").stdout)["items"]
        waiting = [
            c["metadata"]["name"]
            for c in crds
            if not any(
                k["type"] == "Established" and k["status"] == "True"
                for k in (c.get("status") or {}).get("conditions") or []
            )
        ]
        if crds and not waiting:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"CRDs not Established after {timeout}s: {waiting}")
        time.sleep(0.2)


@pytest.fixture(scope="session")
def plane(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ControlPlane]:
    with control_plane(tmp_path_factory.mktemp("control-plane")) as started:
        # As docs/DEPLOY.md says: the chart's CRDs, applied server-side.
        started.kubectl("apply", "--server-side", "-f", str(CHART / "crds"))
        established(started)
        yield started


@pytest.fixture(scope="session")
def kubelet(plane: ControlPlane, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kubelet]:
    image = project_image()

    def images(name: str) -> Image | None:
        repository = name.rsplit(":", 1)[0].rsplit("/", 1)[-1]
        return image if repository in PROJECT_IMAGES else None

    path = f"{Path(sys.executable).parent}:{os.environ.get('PATH', '/usr/bin:/bin')}"
    running = Kubelet(
        plane, [CPU_NODE, GPU_NODE], images, tmp_path_factory.mktemp("kubelet"), path=path
    ).start()
    yield running
    running.stop()


_namespaces = itertools.count(1)


@dataclass
class Install:
    """A chart release in one namespace, with its database and its operator pod."""

    plane: ControlPlane
    kubelet: Kubelet
    namespace: str
    release: str
    dsn: str

    def kubectl(self, *args: str, **kwargs: Any) -> Any:
        return self.plane.kubectl("-n", self.namespace, *args, **kwargs)

    def get(self, kind: str, name: str | None = None) -> Any:
        args = ["get", kind, *([name] if name else []), "-o", "json"]
        return json.loads(self.kubectl(*args).stdout)

    def apply(self, document: dict[str, Any], *, server_side: bool = False) -> str:
        args = ["apply", "-f", "-"] + (["--server-side"] if server_side else [])
        return str(self.kubectl(*args, input=yaml.safe_dump(document)).stdout)

    def operator_logs(self) -> str:
        pods = self.get("pods")["items"]
        return "\n".join(
            self.kubelet.logs(self.namespace, p["metadata"]["name"])
            for p in pods
            if p["metadata"].get("labels", {}).get("app.kubernetes.io/component") == "operator"
        )

    def events(self, regarding: str | None = None) -> list[dict[str, Any]]:
        items = json.loads(self.kubectl("get", "events.events.k8s.io", "-o", "json").stdout)[
            "items"
        ]
        return [e for e in items if regarding is None or e["regarding"].get("name") == regarding]

    def wait(
        self, probe: Callable[[], Any], *, timeout: float = 120, what: str = "condition"
    ) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            found = probe()
            if found:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"timed out after {timeout}s waiting for {what}\n--- operator log tail:\n"
                    + "\n".join(self.operator_logs().splitlines()[-60:])
                )
            time.sleep(0.25)


def secret(namespace: str, name: str, data: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": namespace},
        "data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()},
    }


@contextlib.contextmanager
def database(folder: Path) -> Iterator[str]:
    """A fresh PostgreSQL database on the test server, else an SQLite file in `folder`."""
    admin_url = pg_admin_url()
    admin = PostgresAdmin(admin_url) if admin_url is not None else None
    if admin is not None and admin.reachable() is None:
        with admin.scratch_database("frontier_cluster") as dsn:
            yield dsn
        admin.engine.dispose()
        return
    yield f"sqlite:///{folder / 'frontier.db'}"


@contextlib.contextmanager
def install(
    plane: ControlPlane,
    kubelet: Kubelet,
    folder: Path,
    *,
    values: dict[str, Any] | None = None,
    namespace: str | None = None,
) -> Iterator[Install]:
    """Create a namespace, a database and its Secret, and `helm install` the chart there."""
    namespace = namespace or f"frontier-{next(_namespaces)}"
    release = "frontier-operator"
    with database(folder) as dsn:
        plane.kubectl("create", "namespace", namespace)
        plane.kubectl("apply", "-f", "-", input=yaml.safe_dump(
            secret(namespace, "frontier-database", {"dsn": dsn})))  # fmt: skip
        settings: dict[str, Any] = {
            "database": {"existingSecret": {"name": "frontier-database", "key": "dsn"}},
            # Pods share the host's loopback here: each release's ports are its own.
            "healthPort": free_port(),
            "operator": {"extraEnv": [
                {"name": "FRONTIER_METRICS_PORT", "value": str(free_port())},
                {"name": "FRONTIER_RECONCILE_SECONDS", "value": "2"},
            ]},
            "grafanaDashboard": {"enabled": False},
        }  # fmt: skip
        for key, value in (values or {}).items():
            settings[key] = value
        values_file = folder / f"{namespace}-values.yaml"
        values_file.write_text(yaml.safe_dump(settings))
        plane.helm("install", release, str(CHART), "--namespace", namespace,
                   "--values", str(values_file), "--skip-crds")  # fmt: skip
        installed = Install(plane, kubelet, namespace, release, dsn)
        try:
            yield installed
        finally:
            # As a user tears down: the Frontiers first, while the operator still runs to
            # release their finalizers, then the release, then the namespace.
            plane.kubectl("-n", namespace, "delete", "frontiers", "--all", "--timeout=60s",
                          check=False, timeout=90)  # fmt: skip
            plane.helm("uninstall", release, "--namespace", namespace, "--wait", check=False)
            plane.kubectl("delete", "namespace", namespace, "--wait=false", check=False)


@pytest.fixture
def installed(plane: ControlPlane, kubelet: Kubelet, tmp_path: Path) -> Iterator[Install]:
    with install(plane, kubelet, tmp_path) as release:
        release.wait(lambda: operator_running(release), timeout=90, what="the operator pod")
        yield release


def operator_running(release: Install) -> bool:
    for pod in release.get("pods")["items"]:
        labels = pod["metadata"].get("labels", {})
        if labels.get("app.kubernetes.io/component") != "operator":
            continue
        if pod["metadata"].get("deletionTimestamp"):
            continue  # on its way out
        statuses = pod.get("status", {}).get("containerStatuses") or []
        if any("running" in (s.get("state") or {}) for s in statuses):
            return True
    return False
