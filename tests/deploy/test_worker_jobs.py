"""The worker Jobs the operator would create for the example Frontiers: valid Kubernetes,
hardened pods, the GPU sidecar on a GPU node, secrets only by reference.

The Jobs come from the operator's pure builder (frontier.operator.manifests.worker_job),
fed with the examples in manifests/examples, so the examples and the builder are checked
together against the Kubernetes schemas.
"""

from __future__ import annotations

from typing import Any

import pytest

from frontier.domain.manifest import parse_resource
from frontier.domain.specs import FrontierSpec, SecretKeyRef
from frontier.operator import manifests
from frontier.operator.runtime import OperatorConfig
from tests.deploy.support import MANIFESTS, load_documents, validation_errors

EXAMPLES = {
    "shoppingbench-openai": MANIFESTS / "examples" / "shoppingbench-openai" / "frontier.yaml",
    "gpu-solver": MANIFESTS / "examples" / "gpu-solver" / "frontier.yaml",
}


def job_for(example: str) -> dict[str, Any]:
    doc = next(d for d in load_documents(EXAMPLES[example]) if d["kind"] == "Frontier")
    spec = parse_resource(doc, example).spec
    assert isinstance(spec, FrontierSpec)
    owner = {
        "apiVersion": "frontier.dev/v1alpha1",
        "kind": "ProfileRun",
        "metadata": {
            "name": f"{doc['metadata']['name']}-profile-base-g1",
            "namespace": "frontier-system",
            "uid": "u-1",
        },
    }
    return manifests.worker_job(
        manifests.JobRequest(
            owner=owner,
            frontier=doc["metadata"]["name"],
            work=owner["metadata"]["name"],
            stage="profile",
            command=manifests.rollouts_command(doc["metadata"]["name"], owner["metadata"]["name"]),
            models=[spec.solver],
            # As the deployment's operator fills it in (FRONTIER_WORKER_SERVICE_ACCOUNT).
            template=OperatorConfig(worker_service_account="frontier-operator-worker").job_template(
                spec.job
            ),
            shards=spec.profile.shards,
            default_database_secret=SecretKeyRef(name="frontier-database", key="dsn"),
        )
    )


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_example_worker_job_is_valid_kubernetes(example: str) -> None:
    assert validation_errors(job_for(example), example) == []


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_example_worker_pods_are_hardened(example: str) -> None:
    pod = job_for(example)["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    for container in pod["containers"] + pod.get("initContainers", []):
        security = container["securityContext"]
        assert security["readOnlyRootFilesystem"] is True, container["name"]
        assert security["capabilities"]["drop"] == ["ALL"], container["name"]
        assert security["allowPrivilegeEscalation"] is False, container["name"]
    assert pod["serviceAccountName"] == "frontier-operator-worker"


def test_gpu_example_runs_its_server_as_a_native_sidecar_on_a_gpu_node() -> None:
    pod = job_for("gpu-solver")["spec"]["template"]["spec"]
    (sidecar,) = pod["initContainers"]
    assert sidecar["restartPolicy"] == "Always"
    assert sidecar["resources"]["limits"]["nvidia.com/gpu"] == "1"
    assert pod["nodeSelector"] == {"nvidia.com/gpu.present": "true"}
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in pod[
        "tolerations"
    ]


def test_openai_example_job_carries_the_api_key_only_as_a_secret_reference() -> None:
    pod = job_for("shoppingbench-openai")["spec"]["template"]["spec"]
    env = [e for c in pod["containers"] for e in c.get("env", [])]
    keys = [e for e in env if e["name"].startswith("FRONTIER_API_KEY_")]
    assert keys and all(e["valueFrom"]["secretKeyRef"]["name"] == "llm-endpoint" for e in keys)
    assert not any("value" in e for e in keys)
