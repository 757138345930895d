"""A Kubernetes API for the narrow operator tests: kmock's emulator, closer to a real API server.

The operator's headline suite runs on a real control plane (tests/cluster, with
tests/support/control_plane.py and tests/support/kubelet.py). This emulator stays for
what a real server cannot do quickly or at all here:
- tests/operator/test_cycle.py and test_profile.py: many restart-and-compare scenarios
  (an operator stopped at every step, then compared with a fault-free run), where a test
  finishes each Job by hand at the exact moment it wants, in-process, in seconds;
- test_peering.py: replicas started, stopped and raced in-process in many orders (the real
  control plane runs two peered replicas once, in tests/cluster/test_install.py, each
  pod with ports of its own since the test kubelet's pods share the host's loopback);
- test_metrics.py, test_conditions.py, test_jobs.py: what the operator computes from
  given object states, including states a real controller reaches only slowly;
- `refuse_creates`: a create refused as a ResourceQuota or webhook would, on demand.
What the emulator lacks (a Job controller, pods, garbage collection, schemas, CEL, RBAC,
server-side apply) is exactly what tests/cluster checks on the real server.

kmock 0.8 serves objects and watch streams that kopf's reactor consumes, over real
HTTP. Where it differs from an API server in ways the operator depends on, the
subclass below behaves like the server does (not patches to kopf or the kubernetes
client):

- create fills server-side metadata (uid, resourceVersion, creationTimestamp,
  generation, name from generateName) and answers 201 instead of 200;
- every write bumps resourceVersion; a change of `spec` bumps `generation`;
- JSON patches (kopf uses them with a `test` of resourceVersion) are applied, and a
  failed test answers 422 instead of 500;
- a resource with a status subresource ignores `status` on the main endpoint and
  everything but `status` on `/status`;
- a watch from a resourceVersion does not replay older objects, and no change made
  while a watch starts is lost (kmock subscribes to its bus after the snapshot);
- lists carry a real collection resourceVersion and honour equality label selectors;
- creates of a kind can be refused (`refuse_creates`) with the error a ResourceQuota or
  an admission webhook would answer, and then nothing is stored.

kopf also waits for `v1/namespaces` to be discoverable even when it watches
cluster-wide, and kmock cannot parse the cluster-scoped `/api/v1/namespaces` path, so
the tests run the operator cluster-wide (`--all-namespaces`), not per namespace.

Custom resources must be declared to the emulator; `declare_resources` does it from
the CRDs themselves, so the tests serve exactly the kinds `crds/` defines.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attrs
import jsonpatch
import kmock
import yaml

ROOT = Path(__file__).resolve().parents[2]
CRDS = ROOT / "crds"

BUILTINS: dict[str, dict[str, Any]] = {
    "batch/v1/jobs": {"kind": "Job", "singular": "job", "subresources": ["status"]},
    "v1/pods": {"kind": "Pod", "singular": "pod", "subresources": ["status"]},
    "v1/events": {"kind": "Event", "singular": "event", "subresources": []},
    "events.k8s.io/v1/events": {"kind": "Event", "singular": "event", "subresources": []},
    # kopf's peering resource (the Helm chart installs its CRD), cluster-wide flavour.
    "kopf.dev/v1/clusterkopfpeerings": {
        "kind": "ClusterKopfPeering",
        "singular": "clusterkopfpeering",
        "namespaced": False,
    },
    # kopf waits for namespaces to be discoverable even when it watches cluster-wide.
    "v1/namespaces": {
        "kind": "Namespace",
        "singular": "namespace",
        "subresources": [],
        "namespaced": False,
    },
}
VERBS = ["create", "delete", "get", "list", "patch", "update", "watch"]


def _merge_patch(old: Any, new: Any) -> Any:
    """The RFC 7386 merge patch that turns `old` into `new` (None removes a key)."""
    if not isinstance(old, dict) or not isinstance(new, dict):
        return copy.deepcopy(new)
    out: dict[str, Any] = {}
    for key in old.keys() - new.keys():
        out[key] = None
    for key, value in new.items():
        if key not in old:
            out[key] = copy.deepcopy(value)
        elif old[key] != value:
            out[key] = _merge_patch(old[key], value)
    return out


@attrs.define(kw_only=True)
class Cluster(kmock.KubernetesEmulator):
    """kmock's emulator with the API-server behaviour the operator relies on."""

    _last_version: int = attrs.field(default=999, init=False)
    _status_resources: set[Any] = attrs.field(factory=set, init=False)
    _refused_creates: dict[Any, kmock.KubernetesError] = attrs.field(factory=dict, init=False)
    server_url: str = attrs.field(default="", init=False)

    def declare(self, key: str, info: Mapping[str, Any]) -> None:
        """Serve a resource, e.g. declare('batch/v1/jobs', {...}) (namespaced)."""
        subresources = list(info.get("subresources", []))
        self.resources[key] = {
            "namespaced": info.get("namespaced", True),
            "kind": info["kind"],
            "singular": info["singular"],
            "verbs": VERBS,
            "shortnames": list(info.get("shortnames", [])),
            "categories": list(info.get("categories", [])),
            "subresources": subresources,
        }
        if "status" in subresources:
            group_version, _, plural = key.rpartition("/")
            group, _, version = group_version.rpartition("/")
            self._status_resources.add(kmock.resource(group, version, plural))

    def refuse_creates(self, key: str, error: kmock.KubernetesError | None) -> None:
        """Answer every create of `key` (e.g. 'batch/v1/jobs') with `error`; None accepts again."""
        group_version, _, plural = key.rpartition("/")
        group, _, version = group_version.rpartition("/")
        resource = kmock.resource(group, version, plural)
        if error is None:
            self._refused_creates.pop(resource, None)
        else:
            self._refused_creates[resource] = error

    def object(self, resource: Any, namespace: str | None, name: str | None) -> Any:
        for (res, ns, nm), obj in self.objects.items():
            if res == resource and ns == namespace and nm == name and not obj.deleted:
                return obj
        return None

    def _matches(
        self, request: kmock.Request, resource: Any, namespace: Any, name: Any, body: Any
    ) -> bool:
        labels = ((body or {}).get("metadata") or {}).get("labels") or {}
        wanted = _selector(request.params.get("labelSelector"))
        return bool(
            resource == request.resource
            and (request.namespace is None or namespace == request.namespace)
            and (request.name is None or name == request.name)
            and all(labels.get(k) == v for k, v in wanted.items())
        )

    async def _serve_watch(self, request: kmock.Request) -> Any:
        """Like kmock's, but closer to the API server's watch semantics.

        kmock subscribes to the bus only after streaming the snapshot, so a change made in
        between is lost; and it replays every object as ADDED even when the client asks
        for changes since a resourceVersion, so kopf re-processes stale versions after its
        own patches and stalls. Here the bus is marked with the snapshot, and a watch from
        a resourceVersion replays only objects changed after it.
        """
        yield b""
        bus = self._buses[request.resource]
        since = request.params.get("resourceVersion")
        floor = int(since) if since and since.isdigit() else -1
        async with self._lock:
            mark = await bus.mark()
            events = [
                {"type": "ADDED", "object": obj.raw}
                for (res, ns, nm), obj in self.objects.items()
                if not obj.deleted
                and self._matches(request, res, ns, nm, obj.raw)
                and int(obj.raw.get("metadata", {}).get("resourceVersion") or 0) > floor
            ]
        try:
            for event in events:
                yield event
            async for event in bus.stream(since=mark):
                meta = event.get("object", {}).get("metadata", {})
                where = (meta.get("namespace"), meta.get("name"))
                if self._matches(request, request.resource, *where, event.get("object")):
                    yield event
        finally:
            await bus.unmark(mark)

    def _next_version(self) -> str:
        self._last_version += 1
        return str(self._last_version)

    async def _serve_list(self, request: kmock.Request) -> Any:
        """kmock's list, with a real collection resourceVersion to watch from."""
        listed = await super()._serve_list(request)
        listed["metadata"] = {"resourceVersion": str(self._last_version)}
        wanted = _selector(request.params.get("labelSelector"))
        if wanted:
            listed["items"] = [
                item
                for item in listed["items"]
                if all(
                    (item.get("metadata", {}).get("labels") or {}).get(k) == v
                    for k, v in wanted.items()
                )
            ]
        return listed

    async def _handle(self, request: kmock.Request) -> Any:
        if request.resource is not None:
            refused = self._refused_creates.get(request.resource)
            if refused is not None and request.action == kmock.action.CREATE:
                raise refused  # before kmock's _handle, which would store the object
            # kmock matches requests by identity, so the parsed request is amended in place.
            if request.action == kmock.action.CREATE and isinstance(request.data, dict):
                object.__setattr__(request, "data", self._created(request))
            elif request.action == kmock.action.UPDATE and request.name is not None:
                object.__setattr__(request, "data", self._updated(request))
        response = await super()._handle(request)
        if (
            request.action == kmock.action.CREATE
            and response.status == 200
            and not response.prepared
        ):
            response.set_status(201)
        return response

    def _created(self, request: kmock.Request) -> dict[str, Any]:
        data = copy.deepcopy(request.data)
        meta = data.setdefault("metadata", {})
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = meta["generateName"] + uuid.uuid4().hex[:5]
        if request.namespace and not meta.get("namespace"):
            meta["namespace"] = request.namespace
        meta["uid"] = str(uuid.uuid4())
        meta["resourceVersion"] = self._next_version()
        meta["creationTimestamp"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        meta["generation"] = 1
        if request.resource in self._status_resources:
            data.pop("status", None)
        return data  # type: ignore[no-any-return]

    def _updated(self, request: kmock.Request) -> Any:
        obj = self.object(request.resource, request.namespace, request.name)
        if obj is None:
            return request.data  # the emulator answers 404
        current = copy.deepcopy(obj.raw)
        if isinstance(request.data, list):  # JSON patch
            try:
                target = jsonpatch.apply_patch(current, request.data)
            except (jsonpatch.JsonPatchConflict, jsonpatch.JsonPatchTestFailed) as exc:
                raise kmock.KubernetesError(
                    status=422, reason="Invalid", message=f"the patch cannot apply: {exc}"
                ) from None
            patch = _merge_patch(current, target)
        else:
            patch = copy.deepcopy(request.data or {})
        if request.resource in self._status_resources:
            if request.subresource == "status":
                patch = {k: v for k, v in patch.items() if k in ("status", "metadata")}
            else:
                patch.pop("status", None)
        meta = patch.setdefault("metadata", {}) or {}
        patch["metadata"] = meta
        meta["resourceVersion"] = self._next_version()
        if "spec" in patch and request.subresource is None:
            changed = jsonpatch.make_patch(
                current.get("spec") or {}, _apply(current.get("spec"), patch["spec"])
            )
            if list(changed):
                meta["generation"] = int(current.get("metadata", {}).get("generation", 1)) + 1
        return patch


def _selector(text: str | None) -> dict[str, str]:
    """Equality-based label selectors (k=v,k2=v2), the only kind the operator sends."""
    out: dict[str, str] = {}
    for part in (text or "").split(","):
        key, sep, value = part.partition("=")
        if sep:
            out[key.strip()] = value.strip()
    return out


def _apply(base: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = copy.deepcopy(base) if isinstance(base, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = _apply(out.get(key), value)
    return out


def declare_resources(cluster: Cluster) -> None:
    """Serve the CRDs' kinds (read from crds/) and the built-in kinds the operator uses."""
    for path in sorted(CRDS.glob("frontier.dev_*.yaml")):
        crd = yaml.safe_load(path.read_text())
        names = crd["spec"]["names"]
        for version in crd["spec"]["versions"]:
            cluster.declare(
                f"{crd['spec']['group']}/{version['name']}/{names['plural']}",
                {
                    "kind": names["kind"],
                    "singular": names["singular"],
                    "shortnames": names.get("shortNames", []),
                    "categories": names.get("categories", []),
                    "subresources": list(version.get("subresources", {})),
                },
            )
    for key, info in BUILTINS.items():
        cluster.declare(key, info)


def kubeconfig(server: str, path: Path) -> Path:
    """A kubeconfig naming the emulator, so kopf's default login and the operator's client agree."""
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "kmock", "cluster": {"server": server}}],
        "users": [{"name": "tester", "user": {"token": "test-token"}}],
        "contexts": [{"name": "kmock", "context": {"cluster": "kmock", "user": "tester"}}],
        "current-context": "kmock",
    }
    path.write_text(yaml.safe_dump(config))
    return path
