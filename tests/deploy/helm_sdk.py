"""Render or lint the chart with Helm's own engine, without a helm binary or a cluster.

Run by test_helm.py under an interpreter that has helm-sdkpy (Helm's Go library in a
Python wheel; it needs Python >= 3.12, so it is not in the project's venv):

    FRONTIER_HELM_PYTHON=$(scripts/ensure-helm-python) .venv/bin/pytest tests/deploy/test_helm.py

helm-sdkpy has no `helm template`, so `render` runs a real `helm install` against a fake
API server on 127.0.0.1 that answers discovery, accepts every create and records the
objects: what it prints is exactly what Helm would send to a cluster.

    python helm_sdk.py render CHART VALUES   -> the objects, one YAML stream, on stdout
    python helm_sdk.py lint CHART VALUES     -> helm lint's messages as JSON lines
"""

from __future__ import annotations

import asyncio
import copy
import json
import shutil
import sys
import tempfile
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlparse

import helm_sdkpy  # type: ignore[import-not-found]
import yaml

NAMESPACE = "frontier-system"
RELEASE = "frontier-operator"
RELEASE_RECORD = "sh.helm.release.record"

# (group, version) -> [(plural, kind, namespaced)]: what the fake API server serves.
RESOURCES: dict[tuple[str, str], list[tuple[str, str, bool]]] = {
    ("", "v1"): [
        ("secrets", "Secret", True), ("services", "Service", True),
        ("serviceaccounts", "ServiceAccount", True), ("configmaps", "ConfigMap", True),
        ("namespaces", "Namespace", False), ("pods", "Pod", True), ("events", "Event", True),
    ],
    ("apps", "v1"): [("deployments", "Deployment", True), ("statefulsets", "StatefulSet", True)],
    ("batch", "v1"): [("jobs", "Job", True)],
    ("rbac.authorization.k8s.io", "v1"): [
        ("roles", "Role", True), ("rolebindings", "RoleBinding", True),
        ("clusterroles", "ClusterRole", False), ("clusterrolebindings", "ClusterRoleBinding", False),
    ],
    ("apiextensions.k8s.io", "v1"): [("customresourcedefinitions", "CustomResourceDefinition", False)],
    ("monitoring.coreos.com", "v1"): [
        ("servicemonitors", "ServiceMonitor", True), ("prometheusrules", "PrometheusRule", True),
    ],
    ("kopf.dev", "v1"): [
        ("kopfpeerings", "KopfPeering", True), ("clusterkopfpeerings", "ClusterKopfPeering", False),
    ],
}  # fmt: skip
VERBS = ["create", "delete", "get", "list", "patch", "update", "watch"]


class FakeApiServer(BaseHTTPRequestHandler):
    """Just enough of the Kubernetes API for `helm install --wait=false`."""

    protocol_version = "HTTP/1.1"
    store: ClassVar[dict[str, dict[str, Any]]] = {}
    created: ClassVar[list[dict[str, Any]]] = []

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, code: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _not_found(self) -> None:
        self._send(404, {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                         "reason": "NotFound", "code": 404, "message": "not found"})  # fmt: skip

    def _body(self) -> dict[str, Any]:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}"
        if "protobuf" in (self.headers.get("Content-Type") or ""):
            # Helm's own release record (a Secret sent as protobuf), not a chart object.
            return {"kind": "Secret", "apiVersion": "v1", "metadata": {"name": RELEASE_RECORD}}
        loaded: dict[str, Any] = json.loads(raw)
        return loaded

    def _discovery(self, path: str) -> dict[str, Any] | None:
        if path == "/version":
            return {"major": "1", "minor": "31", "gitVersion": "v1.31.0", "platform": "linux/amd64"}
        if path == "/api":
            return {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [
                {"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]}  # fmt: skip
        if path == "/apis":
            groups = [
                {"name": g, "versions": [{"groupVersion": f"{g}/{v}", "version": v}],
                 "preferredVersion": {"groupVersion": f"{g}/{v}", "version": v}}
                for g, v in RESOURCES if g
            ]  # fmt: skip
            return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}
        parts = path.strip("/").split("/")
        key = ("", "v1") if parts == ["api", "v1"] else (
            (parts[1], parts[2]) if parts[0] == "apis" and len(parts) == 3 else None
        )  # fmt: skip
        if key is None or key not in RESOURCES:
            return None
        return {
            "kind": "APIResourceList", "apiVersion": "v1",
            "groupVersion": f"{key[0]}/{key[1]}" if key[0] else key[1],
            "resources": [
                {"name": p, "singularName": k.lower(), "namespaced": n, "kind": k, "verbs": VERBS}
                for p, k, n in RESOURCES[key]
            ],
        }  # fmt: skip

    def do_GET(self) -> None:
        path = urlparse(self.path).path.rstrip("/")
        found = self._discovery(path)
        if found is not None:
            return self._send(200, found)
        if path in self.store:
            return self._send(200, self.store[path])
        parts = path.strip("/").split("/")
        if parts[-1] in {p for resources in RESOURCES.values() for p, _, _ in resources}:
            items = [o for k, o in self.store.items() if k.rsplit("/", 1)[0] == path]
            return self._send(200, {"kind": "List", "apiVersion": "v1",
                                    "metadata": {"resourceVersion": "1"}, "items": items})  # fmt: skip
        return self._not_found()

    def do_POST(self) -> None:
        path = urlparse(self.path).path.rstrip("/")
        body = self._body()
        if body["metadata"].get("name") != RELEASE_RECORD:
            self.created.append(copy.deepcopy(body))
        stored = copy.deepcopy(body)
        stored["metadata"].update(uid=str(uuid.uuid4()), resourceVersion="1")
        if stored.get("kind") == "CustomResourceDefinition":
            stored["status"] = {
                "conditions": [{"type": "Established", "status": "True"},
                               {"type": "NamesAccepted", "status": "True"}],
                "acceptedNames": stored["spec"]["names"],
            }  # fmt: skip
        self.store[f"{path}/{stored['metadata']['name']}"] = stored
        self._send(201, stored)

    def do_PUT(self) -> None:
        path = urlparse(self.path).path.rstrip("/")
        body = self._body()
        body.setdefault("metadata", {})["resourceVersion"] = "2"
        self.store[path] = body
        self._send(200, body)

    def do_PATCH(self) -> None:
        path = urlparse(self.path).path.rstrip("/")
        self._body()
        if path not in self.store:
            return self._not_found()
        return self._send(200, self.store[path])


def render(chart: str, values_file: str) -> list[dict[str, Any]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeApiServer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    folder = Path(tempfile.mkdtemp())
    kubeconfig = folder / "kubeconfig"
    kubeconfig.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "fake",
        "clusters": [{"name": "fake", "cluster": {"server": f"http://127.0.0.1:{server.server_address[1]}"}}],
        "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "fake", "namespace": NAMESPACE}}],
        "users": [{"name": "fake", "user": {"token": "fake"}}],
    }))  # fmt: skip
    values = yaml.safe_load(Path(values_file).read_text()) or {}

    async def install() -> None:
        config = helm_sdkpy.Configuration(namespace=NAMESPACE, kubeconfig=str(kubeconfig))
        await helm_sdkpy.Install(config).run(RELEASE, chart, values=values, wait=False, timeout=60)

    try:
        asyncio.run(install())
    finally:
        server.shutdown()
        shutil.rmtree(folder, ignore_errors=True)
    return FakeApiServer.created


def lint(chart: str, values_file: str) -> list[dict[str, Any]]:
    """helm lint of a copy of the chart whose values.yaml is the defaults merged with the file."""

    def merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
        for key, value in top.items():
            if isinstance(value, dict) and isinstance(base.get(key), dict):
                merge(base[key], value)
            else:
                base[key] = value
        return base

    folder = Path(tempfile.mkdtemp())
    copy_ = folder / Path(chart).name
    shutil.copytree(chart, copy_)
    defaults = yaml.safe_load((copy_ / "values.yaml").read_text())
    overrides = yaml.safe_load(Path(values_file).read_text()) or {}
    (copy_ / "values.yaml").write_text(yaml.safe_dump(merge(defaults, overrides)))
    try:
        result = asyncio.run(
            helm_sdkpy.Lint(helm_sdkpy.Configuration(namespace=NAMESPACE)).run(str(copy_))
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    # Severity: 1 info, 2 warning, 3 error (Go errors do not serialise their text).
    return [{"severity": m["Severity"], "path": m["Path"]} for m in result.get("Messages") or []]


def main() -> None:
    command, chart, values_file = sys.argv[1:4]
    if command == "render":
        sys.stdout.write(yaml.safe_dump_all(render(chart, values_file), sort_keys=False))
    elif command == "lint":
        for message in lint(chart, values_file):
            print(json.dumps(message))
    else:
        raise SystemExit(f"unknown command {command!r}: use render or lint")


if __name__ == "__main__":
    main()
