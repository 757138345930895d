"""Pure builders of the objects the operator creates: child runs and worker Jobs.

Why pure: every decision about what a Job looks like (names, owner references, GPU
limits, Secrets, security context, failure policy) is testable without a cluster, and a
restarted operator rebuilds exactly the same names, so it adopts instead of duplicating.

Child names come from `frontier.domain.naming` (shared with `frontier run`, so the
store keys match); a Job is named `{owner}-{stage}`, cut to a DNS label with a hash
suffix when longer. Secrets are only ever referenced (secretKeyRef), never copied.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from frontier.domain import exits, naming
from frontier.domain.secrets import api_key_env_name, base_url_env_name
from frontier.domain.specs import (
    GROUP_VERSION,
    FrontierSpec,
    JobTemplate,
    ModelRef,
    SecretKeyRef,
    TaskSetRef,
)

DATABASE_ENV = "FRONTIER_DB"
"""The variable the worker reads its DSN from (frontier.store.engine.DSN_ENV)."""
PART_OF = "frontier-operator"
MANAGED_BY = "frontier-operator"
LABEL_FRONTIER = "frontier.dev/frontier"
LABEL_RUN = "frontier.dev/run"
LABEL_STAGE = "frontier.dev/stage"
LABEL_OWNER_KIND = "frontier.dev/owner-kind"
WORKER_CONTAINER = "worker"

Stage = Literal["profile", "teach", "admit", "verify", "place"]


# --- names ------------------------------------------------------------------


def dns_name(name: str) -> str:
    """`name` if it fits a DNS label, else a prefix plus an 8-hex hash of the whole name."""
    return naming.bounded(name)


def job_name(owner_name: str, stage: str) -> str:
    return dns_name(f"{owner_name}-{stage}")


def rollouts_command(frontier_key: str, run: str) -> list[str]:
    """The worker command of one rollouts shard (the shard comes from JOB_COMPLETION_INDEX)."""
    return ["frontier", "worker", "rollouts", "--frontier", frontier_key, "--run", run]


def mutate_command(frontier_key: str, round_number: int, shards: int) -> list[str]:
    """The worker command of one teacher shard of a round."""
    return [
        "frontier",
        "worker",
        "mutate",
        "--frontier",
        frontier_key,
        "--round",
        str(round_number),
        "--shards",
        str(shards),
    ]


# --- metadata ---------------------------------------------------------------


def owner_reference(owner: Mapping[str, Any]) -> dict[str, Any]:
    """The controller owner reference to an object body (needs metadata.uid)."""
    metadata = owner.get("metadata") or {}
    uid, name = metadata.get("uid"), metadata.get("name")
    if not uid or not name:
        raise ValueError("an owner needs metadata.name and metadata.uid (was it created yet?)")
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": name,
        "uid": uid,
        "controller": True,
        "blockOwnerDeletion": True,
    }


def labels(frontier: str, run: str | None = None, component: str = "run") -> dict[str, str]:
    out = {
        "app.kubernetes.io/name": "frontier",
        "app.kubernetes.io/part-of": PART_OF,
        "app.kubernetes.io/managed-by": MANAGED_BY,
        "app.kubernetes.io/component": component,
        LABEL_FRONTIER: dns_name(frontier),
    }
    if run is not None:
        out[LABEL_RUN] = dns_name(run)
    return out


@dataclass(frozen=True)
class FrontierRef:
    """What a child needs to know about its Frontier."""

    name: str
    namespace: str
    uid: str
    generation: int

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> FrontierRef:
        metadata = body.get("metadata") or {}
        return cls(
            name=metadata["name"],
            namespace=metadata.get("namespace") or "default",
            uid=metadata.get("uid") or "",
            generation=int(metadata.get("generation") or 1),
        )

    def owner_reference(self) -> dict[str, Any]:
        return owner_reference(
            {
                "apiVersion": GROUP_VERSION,
                "kind": "Frontier",
                "metadata": {"name": self.name, "uid": self.uid},
            }
        )


def _child(kind: str, name: str, frontier: FrontierRef, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": GROUP_VERSION,
        "kind": kind,
        "metadata": {
            "name": name,
            "namespace": frontier.namespace,
            "labels": labels(frontier.name, name),
            "ownerReferences": [frontier.owner_reference()],
        },
        "spec": spec,
    }


# --- child custom resources -------------------------------------------------


def base_profile_run(frontier: FrontierRef, spec: FrontierSpec) -> dict[str, Any]:
    """The ProfileRun of the solver over the base tasks, named after what the profile depends on."""
    return _profile_run(
        frontier, spec, spec.solver, naming.base_profile_run_of(frontier.name, spec)
    )


def panel_profile_runs(
    frontier: FrontierRef, spec: FrontierSpec, slice_version: int | None = None
) -> list[dict[str, Any]]:
    """The ProfileRuns of the calibration panel (calibration only): over the base tasks, or
    over the tasks slice `slice_version` adds."""
    if slice_version is None:
        return [
            _profile_run(
                frontier,
                spec,
                model,
                naming.panel_profile_run_of(frontier.name, spec, model),
                seed=naming.panel_seed(spec, model),
            )
            for model in spec.calibration.panel
        ]
    added = TaskSetRef(kind="slice", slice_version=slice_version, new_only=True)
    return [
        _profile_run(
            frontier,
            spec,
            model,
            naming.panel_slice_run_of(frontier.name, spec, model, slice_version),
            task_set=added,
            seed=naming.panel_seed(spec, model),
        )
        for model in spec.calibration.panel
    ]


def _profile_run(
    frontier: FrontierRef,
    spec: FrontierSpec,
    model: ModelRef,
    name: str,
    task_set: TaskSetRef | None = None,
    seed: int | None = None,
) -> dict[str, Any]:
    """A ProfileRun of `model` over the base tasks (or `task_set`) with the frontier's
    profile settings (and `seed`, if given, instead of the profile's)."""
    run_spec: dict[str, Any] = {
        "frontier": frontier.name,
        "model": model.to_wire(),
        "taskSet": (task_set or TaskSetRef()).to_wire(),
        "k": spec.profile.k,
        "shards": spec.profile.shards,
        "seed": spec.profile.seed if seed is None else seed,
        "adaptive": spec.profile.adaptive.to_wire(),
    }
    if spec.job.parallelism is not None:
        run_spec["parallelism"] = spec.job.parallelism
    return _child("ProfileRun", name, frontier, run_spec)


def mutation_round(
    frontier: FrontierRef,
    round_number: int,
    trigger: str,
    from_slice_version: int | None = None,
) -> dict[str, Any]:
    run_spec: dict[str, Any] = {
        "frontier": frontier.name,
        "round": round_number,
        "trigger": trigger,
    }
    if from_slice_version is not None:
        run_spec["fromSliceVersion"] = from_slice_version
    return _child(
        "MutationRound", naming.round_name(frontier.name, round_number), frontier, run_spec
    )


def verification_run(
    frontier: FrontierRef, spec: FrontierSpec, slice_version: int
) -> dict[str, Any]:
    if not spec.verifiers:
        raise ValueError("spec.verifiers is empty: there is nothing to verify with")
    run_spec: dict[str, Any] = {
        "frontier": frontier.name,
        "sliceVersion": slice_version,
        "models": [m.to_wire() for m in spec.verifiers],
        "k": spec.verification.k,
        "shards": spec.profile.shards,
        "adaptive": spec.verification.adaptive.to_wire(),
    }
    return _child(
        "VerificationRun",
        naming.verification_name(frontier.name, slice_version),
        frontier,
        run_spec,
    )


# --- worker Jobs ------------------------------------------------------------


def _secret_env(name: str, ref: SecretKeyRef) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": ref.name, "key": ref.key}}}


_CONTAINER_SECURITY = {
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "runAsNonRoot": True,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}


def _server_sidecar(model: ModelRef) -> dict[str, Any]:
    server = model.server
    assert server is not None
    sidecar: dict[str, Any] = {
        "name": dns_name(f"server-{model.name}"),
        "image": server.image,
        "args": list(server.args),
        "ports": [{"name": "http", "containerPort": server.port}],
        # A native sidecar (an init container that keeps running): the Job completes when
        # the worker exits, and the worker starts only once the server is ready.
        "restartPolicy": "Always",
        "readinessProbe": {
            "httpGet": {"path": server.readiness_path, "port": server.port},
            "periodSeconds": 5,
            "failureThreshold": 3,
        },
        "startupProbe": {
            "httpGet": {"path": server.readiness_path, "port": server.port},
            "periodSeconds": 10,
            "failureThreshold": 180,  # up to 30 minutes to load weights
        },
        "env": [{"name": "HOME", "value": "/tmp"}],
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
        "securityContext": dict(_CONTAINER_SECURITY),
    }
    if model.api_key_secret is not None:
        sidecar["env"].append(_secret_env(api_key_env_name(model.name), model.api_key_secret))
    if server.resources:
        sidecar["resources"] = {k: dict(v) for k, v in server.resources.items()}
    return sidecar


@dataclass(frozen=True)
class JobRequest:
    """Everything a worker Job is built from."""

    owner: Mapping[str, Any]
    """The owning resource's body (apiVersion, kind, metadata with name, namespace and uid)."""
    frontier: str
    """The Frontier's name (its namespace is the owner's)."""
    work: str
    """What the Job works on: a run name in the store, or the round's name; names the Job."""
    stage: Stage
    command: Sequence[str]
    models: Sequence[ModelRef]
    template: JobTemplate
    shards: int
    default_database_secret: SecretKeyRef
    parallelism: int | None = None
    suspend: bool = False


def worker_job(request: JobRequest) -> dict[str, Any]:
    """The Indexed Job that runs one `frontier worker` command, one index per shard."""
    owner_meta = request.owner.get("metadata") or {}
    run_name = request.work
    namespace: str = owner_meta.get("namespace") or "default"
    template = request.template
    if request.shards < 1:
        raise ValueError("shards must be at least 1")
    name = job_name(run_name, request.stage)
    pod_labels = {
        **template.labels,  # the user's (a Kueue queue name), never over the operator's own
        **labels(request.frontier, run_name, component="worker"),
        LABEL_STAGE: request.stage,
    }

    servers = [m for m in request.models if m.server is not None]
    ports = [m.server.port for m in servers if m.server is not None]
    if len(set(ports)) != len(ports):
        raise ValueError("model servers of one Job must listen on distinct ports")

    database = template.database_secret or request.default_database_secret
    env: list[dict[str, Any]] = [
        {"name": "FRONTIER_STAGE", "value": request.stage},
        {"name": "FRONTIER_RUN", "value": run_name},
        {"name": "FRONTIER_FRONTIER", "value": request.frontier},
        {
            "name": "FRONTIER_NAMESPACE",
            "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}},
        },
        {"name": "HOME", "value": "/tmp"},
        _secret_env(DATABASE_ENV, database),
    ]
    seen: set[str] = set()
    for model in request.models:
        if model.api_key_secret is not None and model.name not in seen:
            env.append(_secret_env(api_key_env_name(model.name), model.api_key_secret))
        if model.server is not None:
            env.append(
                {
                    "name": base_url_env_name(model.name),
                    "value": f"http://127.0.0.1:{model.server.port}/v1",
                }
            )
        seen.add(model.name)
    env.extend(dict(entry) for entry in template.env)

    worker: dict[str, Any] = {
        "name": WORKER_CONTAINER,
        "image": template.image,
        "imagePullPolicy": template.image_pull_policy,
        "command": list(request.command),
        "env": env,
        "volumeMounts": [
            {"name": "tmp", "mountPath": "/tmp"},
            *(dict(m) for m in template.volume_mounts),
        ],
        "securityContext": dict(_CONTAINER_SECURITY),
        # A failed shard's last log lines become its termination message, which the
        # operator quotes in the run's Failed condition and Event.
        "terminationMessagePolicy": "FallbackToLogsOnError",
    }
    if template.resources:
        worker["resources"] = {k: dict(v) for k, v in template.resources.items()}

    pod_spec: dict[str, Any] = {
        "restartPolicy": "Never",
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": 65532,
            "runAsGroup": 65532,
            "fsGroup": 65532,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [worker],
        "volumes": [{"name": "tmp", "emptyDir": {}}, *(dict(v) for v in template.volumes)],
    }
    if servers:
        pod_spec["initContainers"] = [_server_sidecar(m) for m in servers]
    if template.service_account_name:
        pod_spec["serviceAccountName"] = template.service_account_name
    else:
        pod_spec["automountServiceAccountToken"] = False
    if template.node_selector:
        pod_spec["nodeSelector"] = dict(template.node_selector)
    if template.tolerations:
        pod_spec["tolerations"] = [t.to_wire() for t in template.tolerations]
    if template.affinity:
        pod_spec["affinity"] = dict(template.affinity)
    if template.priority_class_name:
        pod_spec["priorityClassName"] = template.priority_class_name
    if template.runtime_class_name:
        pod_spec["runtimeClassName"] = template.runtime_class_name

    parallelism = request.parallelism or template.parallelism or request.shards
    job_spec: dict[str, Any] = {
        "completionMode": "Indexed",
        "completions": request.shards,
        "parallelism": min(parallelism, request.shards),
        "backoffLimitPerIndex": template.backoff_limit_per_index,
        "maxFailedIndexes": min(template.max_failed_indexes, request.shards),
        "suspend": request.suspend,
        "podFailurePolicy": {
            "rules": [
                {
                    "action": "FailIndex",
                    "onExitCodes": {
                        "containerName": WORKER_CONTAINER,
                        "operator": "In",
                        "values": [exits.PERMANENT_FAILURE],
                    },
                },
                {
                    # the budget is the frontier's: every shard would meet the same limit
                    "action": "FailJob",
                    "onExitCodes": {
                        "containerName": WORKER_CONTAINER,
                        "operator": "In",
                        "values": [exits.BUDGET_STOP],
                    },
                },
                {
                    "action": "Ignore",
                    "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}],
                },
            ]
        },
        "template": {
            "metadata": {
                "labels": pod_labels,
                **({"annotations": dict(template.annotations)} if template.annotations else {}),
            },
            "spec": pod_spec,
        },
    }
    if template.active_deadline_seconds is not None:
        job_spec["activeDeadlineSeconds"] = template.active_deadline_seconds

    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": pod_labels,
            "ownerReferences": [owner_reference(request.owner)],
        },
        "spec": job_spec,
    }
