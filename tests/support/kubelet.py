"""The test support plays the kubelet for a real control plane: pods bound to its Nodes run as local processes.

What it does, as a kubelet would:
- registers Nodes (capacity, allocatable, labels, taints, a Ready condition), so the real
  kube-scheduler binds pods onto them by their resources, nodeSelectors and tolerations;
- for each pod bound to one of its Nodes, runs the init containers one after another,
  then the first container's command (the image's ENTRYPOINT and CMD when the container
  names none) with the environment Kubernetes would give it: `env` values, `$(VAR)`
  references, `valueFrom` Secret and ConfigMap keys, downward-API fields (the Job
  completion index comes from the pod's annotation this way), `envFrom`; a container
  whose Secret is missing waits in CreateContainerConfigError as on a real node;
- reports the pod Running, then Succeeded or Failed with the real exit code in
  `containerStatuses[].state.terminated`, and with `terminationMessagePolicy:
  FallbackToLogsOnError` the log's tail as the termination message, so the real Job
  controller decides completions, retries per index and podFailurePolicy;
- restarts containers of `restartPolicy: Always` pods (a Deployment's) when they exit;
- kills the process when the pod is deleted, then removes the pod (grace period 0).

What it does not: images (a process runs from this machine's PATH, so only images whose
entrypoint is known to `images` can run: the project's own, read from its Dockerfile),
network namespaces (pods share the host's loopback, so tests give each pod's ports their
own numbers), volumes (paths are the host's), probes, and resource limits.

A pod that uses a ServiceAccount token (automountServiceAccountToken not false) gets a
kubeconfig with a token the API server signed for that ServiceAccount (TokenRequest, as
a kubelet's projected token), in $KUBECONFIG: the process authenticates as the pod's
ServiceAccount, and RBAC decides what it may do.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import json
import os
import re
import shlex
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import kubernetes.client
import kubernetes.config
from kubernetes.client.rest import ApiException

from tests.support.control_plane import ControlPlane, die_with_parent

TERMINATION_MESSAGE_LIMIT = 4096
"""The kubelet keeps at most 4096 bytes of a termination message (and 80 log lines)."""


@dataclass(frozen=True)
class Image:
    """What a container image brings that a pod spec may leave out: ENTRYPOINT, CMD, ENV."""

    entrypoint: tuple[str, ...]
    cmd: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class NodeSpec:
    name: str
    capacity: Mapping[str, str]
    labels: Mapping[str, str] = field(default_factory=dict)
    taints: tuple[Mapping[str, str], ...] = ()


def now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Container:
    """One running container process of a pod."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path
    started: str


@dataclass
class PodRun:
    uid: str
    namespace: str
    name: str
    thread: threading.Thread
    current: Container | None = None
    stopping: threading.Event = field(default_factory=threading.Event)
    exit_codes: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    """Held while a container starts, so a kill never misses one that is starting."""


class Kubelet:
    """Start with `start()`; `stop()` kills every container process and stops watching."""

    def __init__(
        self,
        plane: ControlPlane,
        nodes: list[NodeSpec],
        images: Callable[[str], Image | None],
        root: Path,
        *,
        path: str,
        poll: float = 0.2,
    ) -> None:
        self.plane = plane
        self.nodes = {n.name: n for n in nodes}
        self.images = images
        self.root = root
        self.path = path
        self.poll = poll
        config = kubernetes.client.Configuration()
        kubernetes.config.load_kube_config(  # type: ignore[no-untyped-call]
            config_file=str(plane.admin_kubeconfig), client_configuration=config
        )
        self.api = kubernetes.client.ApiClient(config)
        self.core = kubernetes.client.CoreV1Api(self.api)
        self.pods: dict[str, PodRun] = {}
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.thread: threading.Thread | None = None

    # --- nodes -----------------------------------------------------------------

    def register_nodes(self) -> None:
        for node in self.nodes.values():
            body = {
                "apiVersion": "v1",
                "kind": "Node",
                "metadata": {"name": node.name, "labels": {
                    "kubernetes.io/hostname": node.name, "kubernetes.io/os": "linux",
                    "kubernetes.io/arch": "amd64", **node.labels}},
                "spec": {"taints": [dict(t) for t in node.taints]},
            }  # fmt: skip
            with contextlib.suppress(ApiException):
                self.core.create_node(body)
            status = {
                "status": {
                    "capacity": dict(node.capacity),
                    "allocatable": dict(node.capacity),
                    "conditions": [
                        {"type": "Ready", "status": "True", "reason": "KubeletReady",
                         "message": "the test kubelet runs pods as local processes",
                         "lastHeartbeatTime": now(), "lastTransitionTime": now()},
                    ],
                    "nodeInfo": {"kubeletVersion": "v1.37.2", "operatingSystem": "linux",
                                 "architecture": "amd64", "containerRuntimeVersion": "local://",
                                 "kernelVersion": "", "osImage": "", "kubeProxyVersion": "",
                                 "machineID": "", "systemUUID": "", "bootID": ""},
                    "addresses": [{"type": "InternalIP", "address": "127.0.0.1"}],
                }
            }  # fmt: skip
            self.core.patch_node_status(node.name, status)
            # The API server taints every new Node not-ready; on a Ready node the node
            # lifecycle controller (not run here: it would want lease heartbeats) clears it.
            self.core.patch_node(
                node.name, {"spec": {"taints": [dict(t) for t in node.taints] or None}}
            )

    # --- the loop ----------------------------------------------------------------

    def start(self) -> Kubelet:
        self.register_nodes()
        self.thread = threading.Thread(target=self._loop, name="test-kubelet", daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopped.set()
        if self.thread is not None:
            self.thread.join(60)  # a tick may be finishing a pod's deletion
        with self.lock:
            runs = list(self.pods.values())
        for run in runs:
            self._kill(run)
        for run in runs:
            run.thread.join(15)
            self._kill(run)  # a restart that raced the first kill
        self.api.close()  # type: ignore[no-untyped-call]

    def _loop(self) -> None:
        while not self.stopped.is_set():
            # A failed list (the API server restarting, say) is retried at the next tick.
            with contextlib.suppress(Exception):
                self._sync()
            self.stopped.wait(self.poll)

    def _sync(self) -> None:
        reply = self.core.list_pod_for_all_namespaces(_preload_content=False)
        items = json.loads(reply.data).get("items") or []
        seen: set[str] = set()
        for pod in items:
            meta, spec = pod["metadata"], pod.get("spec") or {}
            if spec.get("nodeName") not in self.nodes:
                continue
            uid = meta["uid"]
            seen.add(uid)
            with self.lock:
                run = self.pods.get(uid)
            if meta.get("deletionTimestamp"):
                if run is not None:
                    self._kill(run)
                    run.thread.join(15)
                if run is None or not run.thread.is_alive():
                    with contextlib.suppress(ApiException):
                        self.core.delete_namespaced_pod(
                            meta["name"], meta["namespace"], grace_period_seconds=0
                        )
                continue
            phase = (pod.get("status") or {}).get("phase", "Pending")
            if run is None and phase == "Pending" and not self.stopped.is_set():
                run = PodRun(uid, meta["namespace"], meta["name"], threading.Thread())
                run.thread = threading.Thread(
                    target=self._run_pod, args=(run, pod), name=f"pod-{meta['name']}", daemon=True
                )
                with self.lock:
                    self.pods[uid] = run
                run.thread.start()
        with self.lock:
            gone = [run for uid, run in self.pods.items() if uid not in seen]
        for run in gone:
            self._kill(run)

    def _kill(self, run: PodRun) -> None:
        with run.lock:
            run.stopping.set()
            container = run.current
        if container is not None and container.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(container.popen.pid, signal.SIGTERM)
            try:
                container.popen.wait(10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(container.popen.pid, signal.SIGKILL)

    # --- one pod -----------------------------------------------------------------

    def logs(self, namespace: str, pod: str, container: str | None = None) -> str:
        """What a pod's containers printed (`kubectl logs` needs a real kubelet's API)."""
        folder = self.root / "pods" / namespace / pod
        files = sorted(folder.glob(f"{container or '*'}-*.log"))
        return "".join(f.read_text(errors="replace") for f in files)

    def _run_pod(self, run: PodRun, pod: dict[str, Any]) -> None:
        spec = pod["spec"]
        try:
            for init in spec.get("initContainers") or []:
                if init.get("restartPolicy") == "Always":
                    continue  # native sidecars would need their own image (a model server)
                code = self._run_container(run, pod, init, init=True)
                if code is None or run.stopping.is_set():
                    return
                if code != 0:
                    self._report(run, pod, "Failed", init, code, init=True)
                    return
            container = spec["containers"][0]
            policy = spec.get("restartPolicy", "Always")
            restarts = 0
            while not run.stopping.is_set():
                code = self._run_container(run, pod, container, restarts=restarts)
                if code is None or run.stopping.is_set():
                    return
                if policy == "Always" or (policy == "OnFailure" and code != 0):
                    restarts += 1
                    time.sleep(min(2.0 * restarts, 10.0))
                    continue
                self._report(run, pod, "Succeeded" if code == 0 else "Failed", container, code)
                return
        except ApiException:
            return  # the pod is gone

    def _run_container(
        self,
        run: PodRun,
        pod: dict[str, Any],
        container: dict[str, Any],
        *,
        init: bool = False,
        restarts: int = 0,
    ) -> int | None:
        """Run one container to its end; its exit code, or None when it could not start."""
        while not run.stopping.is_set():
            try:
                env = self._environment(pod, container)
                break
            except LookupError as exc:
                self._waiting(run, pod, container, "CreateContainerConfigError", str(exc))
                run.stopping.wait(1.0)
        else:
            return None
        image = self.images(container.get("image", ""))
        if image is None:
            self._waiting(
                run, pod, container, "ErrImagePull",
                f"the test kubelet runs only known images, not {container.get('image')!r}",
            )  # fmt: skip
            return None
        command = list(container.get("command") or image.entrypoint)
        args = list(container.get("args") or ([] if container.get("command") else image.cmd))
        argv = [_expand(part, env) for part in [*command, *args]]
        folder = self.root / "pods" / run.namespace / run.name
        folder.mkdir(parents=True, exist_ok=True)
        log = folder / f"{container['name']}-{restarts}.log"
        with run.lock, log.open("wb") as out:
            if run.stopping.is_set() or self.stopped.is_set():
                return None  # deleted (or the kubelet stopped) while the container was set up
            out.write(f"$ {shlex.join(argv)}\n".encode())
            out.flush()
            popen = subprocess.Popen(
                argv,
                env={**image.env, "PATH": self.path, **env},
                cwd=folder,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=die_with_parent,
            )
            run.current = Container(container["name"], popen, log, now())
        if not init:
            self._report(run, pod, "Running", container, None, restarts=restarts)
        code = popen.wait()
        run.exit_codes.append(code)
        return code

    def _environment(self, pod: dict[str, Any], container: dict[str, Any]) -> dict[str, str]:
        meta = pod["metadata"]
        namespace = meta["namespace"]
        env: dict[str, str] = {}
        for source in container.get("envFrom") or []:
            prefix = source.get("prefix", "")
            if "secretRef" in source:
                data = self._secret(namespace, source["secretRef"]["name"], source["secretRef"])
            else:
                data = self._config_map(
                    namespace, source["configMapRef"]["name"], source["configMapRef"]
                )
            env.update({prefix + k: v for k, v in (data or {}).items()})
        for entry in container.get("env") or []:
            name = entry["name"]
            if "value" in entry:
                env[name] = _expand(entry.get("value") or "", env)
                continue
            source = entry.get("valueFrom") or {}
            value: str | None = None
            keyed = next((k for k in ("secretKeyRef", "configMapKeyRef") if k in source), None)
            if keyed is not None:
                ref = source[keyed]
                kind = "secret" if keyed == "secretKeyRef" else "configmap"
                value = (self._data(kind, namespace, ref["name"], ref) or {}).get(ref["key"])
                if value is None and not ref.get("optional"):
                    raise LookupError(
                        f"couldn't find key {ref['key']} in {kind} {namespace}/{ref['name']}"
                    )
            elif "fieldRef" in source:
                value = _field(pod, source["fieldRef"]["fieldPath"])
            if value is not None:
                env[name] = value
        if pod["spec"].get("automountServiceAccountToken") is not False:
            account = pod["spec"].get("serviceAccountName") or "default"
            path = self.root / "pods" / namespace / meta["name"] / "kubeconfig"
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.exists():
                self.plane.service_account_kubeconfig(namespace, account, path)
            env.setdefault("KUBECONFIG", str(path))
        return env

    def _secret(self, namespace: str, name: str, ref: Mapping[str, Any]) -> dict[str, str] | None:
        return self._data("secret", namespace, name, ref)

    def _config_map(
        self, namespace: str, name: str, ref: Mapping[str, Any]
    ) -> dict[str, str] | None:
        return self._data("configmap", namespace, name, ref)

    def _data(
        self, kind: str, namespace: str, name: str, ref: Mapping[str, Any]
    ) -> dict[str, str] | None:
        """A Secret's (decoded) or ConfigMap's data; None when missing and `optional`."""
        read = (
            self.core.read_namespaced_secret
            if kind == "secret"
            else self.core.read_namespaced_config_map
        )
        try:
            found = read(name, namespace)
        except ApiException as exc:
            if exc.status == 404:
                if ref.get("optional"):
                    return None
                raise LookupError(f'{kind} "{name}" not found') from None
            raise
        data = found.data or {}
        if kind == "secret":
            return {k: base64.b64decode(v).decode() for k, v in data.items()}
        return dict(data)

    # --- status ------------------------------------------------------------------

    def _conditions(self, pod: dict[str, Any], ready: bool) -> list[dict[str, Any]]:
        current = self.core.read_namespaced_pod_status(
            pod["metadata"]["name"], pod["metadata"]["namespace"]
        )
        kept = [
            c.to_dict() for c in (current.status.conditions or [])
            if c.type not in ("Ready", "ContainersReady", "Initialized", "PodReadyToStartContainers")
        ]  # fmt: skip
        out = [
            {"type": c["type"], "status": c["status"], **({"reason": c["reason"]} if c.get("reason") else {}),
             "lastTransitionTime": now()}
            for c in kept
        ]  # fmt: skip
        value = "True" if ready else "False"
        for kind in ("PodReadyToStartContainers", "Initialized", "ContainersReady", "Ready"):
            out.append({"type": kind, "status": "True" if kind in ("PodReadyToStartContainers", "Initialized") else value,
                        "lastTransitionTime": now()})  # fmt: skip
        return out

    def _waiting(
        self, run: PodRun, pod: dict[str, Any], container: dict[str, Any], reason: str, message: str
    ) -> None:
        status = {
            "phase": "Pending",
            "containerStatuses": [
                {"name": container["name"], "image": container.get("image", ""), "imageID": "",
                 "ready": False, "restartCount": 0, "started": False,
                 "state": {"waiting": {"reason": reason, "message": message}}}
            ],
        }  # fmt: skip
        with contextlib.suppress(ApiException):
            self.core.patch_namespaced_pod_status(run.name, run.namespace, {"status": status})

    def _report(
        self,
        run: PodRun,
        pod: dict[str, Any],
        phase: str,
        container: dict[str, Any],
        code: int | None,
        *,
        init: bool = False,
        restarts: int = 0,
    ) -> None:
        current = run.current
        started = current.started if current else now()
        if code is None:
            state: dict[str, Any] = {"running": {"startedAt": started}}
        else:
            terminated: dict[str, Any] = {
                "exitCode": code,
                "reason": "Completed" if code == 0 else "Error",
                "startedAt": started,
                "finishedAt": now(),
            }
            message = self._termination_message(container, current)
            if message:
                terminated["message"] = message
            state = {"terminated": terminated}
        entry = {
            "name": container["name"], "image": container.get("image", ""), "imageID": "",
            "containerID": f"local://{current.popen.pid if current else 0}",
            "ready": phase == "Running", "restartCount": restarts,
            "started": phase == "Running", "state": state,
        }  # fmt: skip
        status: dict[str, Any] = {
            "phase": phase,
            "hostIP": "127.0.0.1",
            "podIP": "127.0.0.1",
            "podIPs": [{"ip": "127.0.0.1"}],
            "startTime": started,
            "conditions": self._conditions(pod, ready=phase == "Running"),
        }
        if init:
            status["initContainerStatuses"] = [entry]
        else:
            status["containerStatuses"] = [entry]
        self.core.patch_namespaced_pod_status(run.name, run.namespace, {"status": status})

    @staticmethod
    def _termination_message(container: dict[str, Any], current: Container | None) -> str:
        if current is None:
            return ""
        if container.get("terminationMessagePolicy") != "FallbackToLogsOnError":
            return ""
        if current.popen.returncode == 0:
            return ""
        lines = current.log.read_text(errors="replace").splitlines()[1:][-80:]
        return "\n".join(lines)[-TERMINATION_MESSAGE_LIMIT:]


_REFERENCE = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")


def _expand(value: str, env: Mapping[str, str]) -> str:
    """Kubernetes' `$(VAR)` expansion: a defined variable is replaced, anything else kept."""
    return _REFERENCE.sub(lambda m: env.get(m.group(1), m.group(0)), value)


_SUBSCRIPT = re.compile(r"^metadata\.(labels|annotations)\['(.+)'\]$")


def _field(pod: dict[str, Any], path: str) -> str | None:
    """A downward-API field of the pod."""
    meta, spec = pod["metadata"], pod.get("spec") or {}
    match = _SUBSCRIPT.match(path)
    if match:
        return (meta.get(match.group(1)) or {}).get(match.group(2))
    simple = {
        "metadata.name": meta.get("name"),
        "metadata.namespace": meta.get("namespace"),
        "metadata.uid": meta.get("uid"),
        "spec.nodeName": spec.get("nodeName"),
        "spec.serviceAccountName": spec.get("serviceAccountName"),
        "status.podIP": "127.0.0.1",
        "status.hostIP": "127.0.0.1",
    }
    return simple.get(path)
