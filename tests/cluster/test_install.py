"""The other ways to install, on the real control plane: the chart in cluster scope (a ClusterRole,
`--all-namespaces`, kopf peering) serving a Frontier in another namespace, and the kustomize
base applied with `kubectl apply -k` (in an overlay, as docs/DEPLOY.md describes)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.cluster.conftest import ROOT, Install, database, install, operator_running, secret
from tests.cluster.test_cycle import example
from tests.support.control_plane import ControlPlane, free_port
from tests.support.kubelet import Kubelet


def small(name: str) -> dict[str, Any]:
    document = example(name)
    document["spec"]["profile"]["shards"] = 1
    return document


def profiled(release: Install, namespace: str, frontier: str) -> bool:
    found = release.plane.kubectl("-n", namespace, "get", "frontier", frontier, "-o", "json",
                                  check=False)  # fmt: skip
    if found.returncode != 0:
        return False
    bands = json.loads(found.stdout).get("status", {}).get("bands") or {}
    return bool(bands.get("total"))


def peered(name: str, env: dict[str, str] | None = None, **operator: Any) -> dict[str, Any]:
    """Chart values: kopf peering under `name`, a metrics port of its own, quick timers."""
    settings = {"FRONTIER_METRICS_PORT": str(free_port()), "FRONTIER_RECONCILE_SECONDS": "2"}
    extra = [{"name": k, "value": v} for k, v in {**settings, **(env or {})}.items()]
    return {"operator": {"peering": {"enabled": True, "name": name}, "extraEnv": extra, **operator}}


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_the_chart_in_cluster_scope_serves_frontiers_in_every_namespace(
    plane: ControlPlane, kubelet: Kubelet, tmp_path: Path
) -> None:
    values = peered("frontier-cluster-test", scope="cluster")
    with install(plane, kubelet, tmp_path, values=values) as release:
        release.wait(lambda: operator_running(release), timeout=90, what="the operator pod")
        # In cluster scope the DSN Secret must be in each namespace where Frontiers run.
        plane.kubectl("create", "namespace", "team-b", check=False)
        plane.kubectl("apply", "-f", "-", input=yaml.safe_dump(
            secret("team-b", "frontier-database", {"dsn": release.dsn})))  # fmt: skip
        plane.kubectl("-n", "team-b", "apply", "-f", "-", input=yaml.safe_dump(small("elsewhere")))
        try:
            release.wait(lambda: profiled(release, "team-b", "elsewhere"), timeout=180,
                         what="the Frontier in team-b to be profiled")  # fmt: skip
            logs = release.operator_logs()
            assert "--all-namespaces" in logs and "--peering=frontier-cluster-test" in logs
            assert "forbidden" not in logs.lower()
            peering = plane.kubectl(
                "get", "clusterkopfpeering", "frontier-cluster-test", "-o", "json"
            )
            assert json.loads(peering.stdout).get("status"), "the operator keeps itself alive there"
        finally:
            plane.kubectl("-n", "team-b", "delete", "frontier", "elsewhere", "--timeout=60s",
                          check=False, timeout=90)  # fmt: skip


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_the_kustomize_base_runs_the_operator_in_its_namespace(
    plane: ControlPlane, kubelet: Kubelet, tmp_path: Path
) -> None:
    # An overlay as docs/DEPLOY.md describes: another namespace; here also the ports, since
    # the test kubelet's pods share the host's loopback with the other installs.
    namespace, health = "frontier-base", free_port()
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    (overlay / "kustomization.yaml").write_text(yaml.safe_dump({
        "apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
        "namespace": namespace, "resources": [os.path.relpath(ROOT / "manifests" / "base", overlay)],
        "patches": [{"target": {"kind": "Deployment", "name": "frontier-operator"}, "patch": json.dumps([
            {"op": "replace", "path": "/spec/template/spec/containers/0/args/1",
             "value": f"--liveness=http://0.0.0.0:{health}/healthz"},
            {"op": "add", "path": "/spec/template/spec/containers/0/env/-",
             "value": {"name": "FRONTIER_METRICS_PORT", "value": str(free_port())}},
        ])}],
    }))  # fmt: skip
    rendered = plane.kubectl("kustomize", str(overlay)).stdout
    deployment = next(d for d in yaml.safe_load_all(rendered) if d and d["kind"] == "Deployment")
    assert deployment["spec"]["template"]["spec"]["containers"][0]["args"][1].endswith(
        f":{health}/healthz"
    ), "the overlay's patch no longer matches the base's args"
    with database(tmp_path) as dsn:
        plane.kubectl("create", "namespace", namespace)
        plane.kubectl("apply", "-f", "-", input=yaml.safe_dump(
            secret(namespace, "frontier-database", {"dsn": dsn})))  # fmt: skip
        plane.kubectl("apply", "--server-side", "-k", str(overlay))
        release = Install(plane, kubelet, namespace, "kustomize", dsn)
        try:
            release.wait(lambda: operator_running(release), timeout=90, what="the base's operator")
            release.apply(small("from-base"))
            release.wait(lambda: profiled(release, namespace, "from-base"), timeout=180,
                         what="the Frontier to be profiled by the base's operator")  # fmt: skip
            assert "forbidden" not in release.operator_logs().lower()
        finally:
            release.kubectl("delete", "frontier", "from-base", "--timeout=60s", check=False,
                            timeout=90)  # fmt: skip
            release.kubectl("delete", "deployment", "frontier-operator", check=False)
            plane.kubectl("delete", "namespace", namespace, "--wait=false", check=False)


def replica_pod(release: Install, name: str, priority: int) -> dict[str, Any]:
    """A second operator replica: the chart Deployment's own pod template, with ports of its
    own (pods share the host's loopback here) and a fixed peering priority."""
    deployment = release.get("deployment", "frontier-operator")
    template = deployment["spec"]["template"]
    container = template["spec"]["containers"][0]
    container["args"] = [
        f"--liveness=http://0.0.0.0:{free_port()}/healthz" if a.startswith("--liveness") else a
        for a in container["args"]
    ]
    container["env"] = [e for e in container["env"] if e["name"] not in (
        "FRONTIER_METRICS_PORT", "FRONTIER_PEERING_PRIORITY")] + [
        {"name": "FRONTIER_METRICS_PORT", "value": str(free_port())},
        {"name": "FRONTIER_PEERING_PRIORITY", "value": str(priority)},
    ]  # fmt: skip
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        # Not the Deployment's selector labels, or its ReplicaSet would adopt and delete it.
        "metadata": {"name": name, "labels": {"app.kubernetes.io/component": "operator"}},
        "spec": template["spec"],
    }


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_two_peered_replicas_keep_one_active_and_the_standby_takes_over(
    plane: ControlPlane, kubelet: Kubelet, tmp_path: Path
) -> None:
    values = peered("frontier-peers", env={"FRONTIER_PEERING_PRIORITY": "100"})
    with install(plane, kubelet, tmp_path, values=values) as release:
        release.wait(lambda: operator_running(release), timeout=90, what="the first replica")
        release.apply(replica_pod(release, "standby", priority=50))

        def standby() -> str:
            return kubelet.logs(release.namespace, "standby")

        # A replica starts paused and resumes only when no live peer outranks it.
        release.wait(lambda: "Initial authentication has finished" in standby(), timeout=90,
                     what="the standby to start")  # fmt: skip
        release.apply(small("while-paused"))
        release.wait(lambda: profiled(release, release.namespace, "while-paused"), timeout=180,
                     what="the active replica to profile the Frontier")  # fmt: skip
        assert "Resuming operations" not in standby(), "the standby became active beside it"
        assert "while-paused" not in standby(), "the paused standby reconciled too"

        # The active replica goes (a scale-down: it leaves the peering cleanly).
        release.kubectl("scale", "deployment", "frontier-operator", "--replicas=0")
        release.wait(lambda: "Resuming operations after the pause" in standby(), timeout=90,
                     what="the standby to take over")  # fmt: skip
        release.apply(small("after-takeover"))
        release.wait(lambda: profiled(release, release.namespace, "after-takeover"), timeout=180,
                     what="the standby to profile a new Frontier")  # fmt: skip
        assert "after-takeover" in standby()
        assert "forbidden" not in standby().lower()
