"""The kustomize base and the examples render offline and every object is valid."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from frontier.domain.specs import SecretKeyRef
from frontier.operator.runtime import OperatorConfig
from tests.crds.structural import violations
from tests.deploy.support import CRDS, MANIFESTS, kustomize, load_documents, validation_errors

FOLDERS = ["base", "examples/shoppingbench-openai", "examples/gpu-solver", "argocd"]


@pytest.mark.parametrize("folder", FOLDERS)
def test_every_rendered_object_is_valid_kubernetes(folder: str) -> None:
    docs = kustomize(MANIFESTS / folder)
    assert docs, f"manifests/{folder} rendered nothing"
    errors = [e for doc in docs for e in validation_errors(doc, f"manifests/{folder}")]
    assert not errors, "\n".join(errors)


def test_base_holds_the_crds_rbac_and_the_deployment() -> None:
    kinds = Counter(doc["kind"] for doc in kustomize(MANIFESTS / "base"))
    assert kinds["CustomResourceDefinition"] == 4
    assert kinds["Role"] == 1 and kinds["RoleBinding"] == 1
    assert kinds["Deployment"] == 1 and kinds["ServiceAccount"] == 2
    assert kinds["Service"] == 1


def test_base_crds_are_the_generated_ones_and_structural() -> None:
    generated = {
        yaml.safe_load(p.read_text())["metadata"]["name"]: yaml.safe_load(p.read_text())
        for p in CRDS.glob("frontier.dev_*.yaml")
    }
    rendered = [d for d in kustomize(MANIFESTS / "base") if d["kind"] == "CustomResourceDefinition"]
    for crd in rendered:
        name = crd["metadata"]["name"]
        expected = generated[name]
        # kustomize adds the base's part-of label; everything else is the generated file.
        assert crd["spec"] == expected["spec"], f"{name} differs from crds/"
        for version in crd["spec"]["versions"]:
            assert violations(version["schema"]["openAPIV3Schema"]) == [], name


def test_base_is_namespaced_and_the_binding_names_the_operator_account() -> None:
    docs = kustomize(MANIFESTS / "base")
    namespaced = [d for d in docs if d["kind"] not in ("Namespace", "CustomResourceDefinition")]
    assert {d["metadata"]["namespace"] for d in namespaced} == {"frontier-system"}
    binding = next(d for d in docs if d["kind"] == "RoleBinding")
    account = next(
        d
        for d in docs
        if d["kind"] == "ServiceAccount" and d["metadata"]["name"] == "frontier-operator"
    )
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "frontier-operator", "namespace": "frontier-system"}
    ]
    assert (
        binding["roleRef"]["name"]
        == next(d for d in docs if d["kind"] == "Role")["metadata"]["name"]
    )
    assert account["metadata"]["namespace"] == "frontier-system"


def test_base_operator_is_one_hardened_replica_with_kopf_probes() -> None:
    deployment = next(d for d in kustomize(MANIFESTS / "base") if d["kind"] == "Deployment")
    spec = deployment["spec"]
    assert spec["replicas"] == 1 and spec["strategy"]["type"] == "Recreate"
    pod = spec["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
    (container,) = pod["containers"]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["resources"]["requests"] and container["resources"]["limits"]["memory"]
    assert "--liveness=http://0.0.0.0:8080/healthz" in container["args"]
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "health"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/healthz", "port": "health"}
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"health": 8080, "metrics": 9090}
    env = {e["name"]: e for e in container["env"]}
    assert env["FRONTIER_DB"]["valueFrom"]["secretKeyRef"] == {
        "name": "frontier-database",
        "key": "dsn",
    }
    assert "value" not in env["FRONTIER_DB"], "the DSN must come from a Secret, never inline"
    assert env["FRONTIER_WORKER_IMAGE"]["value"] == container["image"]


def test_base_tells_the_operator_the_same_dsn_secret_it_mounts() -> None:
    """Workers get the DSN from the Secret key the operator itself reads it from."""
    deployment = next(d for d in kustomize(MANIFESTS / "base") if d["kind"] == "Deployment")
    env = {e["name"]: e for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
    mounted = env["FRONTIER_DB"]["valueFrom"]["secretKeyRef"]
    config = OperatorConfig.from_env(
        {"FRONTIER_DATABASE_SECRET": env["FRONTIER_DATABASE_SECRET"]["value"]}
    )
    assert config.database_secret == SecretKeyRef(name=mounted["name"], key=mounted["key"])


def test_worker_account_has_no_token_and_no_binding() -> None:
    docs = kustomize(MANIFESTS / "base")
    worker = next(
        d
        for d in docs
        if d["kind"] == "ServiceAccount" and d["metadata"]["name"] == "frontier-operator-worker"
    )
    assert worker["automountServiceAccountToken"] is False
    bound = [s["name"] for d in docs if d["kind"].endswith("Binding") for s in d["subjects"]]
    assert "frontier-operator-worker" not in bound


@pytest.mark.parametrize("example", ["shoppingbench-openai", "gpu-solver"])
def test_example_frontier_leaves_the_worker_account_to_the_deployment(example: str) -> None:
    """The operator fills in the worker account its deployment names (the base's and every
    Helm release's), so an example that named one would work only under one release name."""
    frontier = next(
        d for d in kustomize(MANIFESTS / "examples" / example) if d["kind"] == "Frontier"
    )
    assert "serviceAccountName" not in frontier["spec"].get("job", {})
    assert frontier["metadata"]["namespace"] == "frontier-system"


def test_openai_example_references_its_secret_and_never_ships_a_key() -> None:
    docs = kustomize(MANIFESTS / "examples" / "shoppingbench-openai")
    assert not [d for d in docs if d["kind"] == "Secret"], "applying it would overwrite the key"
    frontier = next(d for d in docs if d["kind"] == "Frontier")["spec"]
    models = [frontier["solver"], frontier["teacher"]["model"], *frontier["verifiers"]]
    for model in models:
        assert model["provider"] == "openai"
        assert model["apiKeySecret"] == {"name": "llm-endpoint", "key": "api-key"}, model["name"]
        assert not {"apiKey", "apiKeyEnv"} & set(model)


def test_gpu_example_schedules_its_sidecar_on_a_gpu_node() -> None:
    spec = next(
        d for d in kustomize(MANIFESTS / "examples" / "gpu-solver") if d["kind"] == "Frontier"
    )["spec"]
    server = spec["solver"]["server"]
    assert server["resources"]["limits"]["nvidia.com/gpu"] == "1"
    assert "baseUrl" not in spec["solver"], "the sidecar's address is filled in by the operator"
    assert spec["job"]["nodeSelector"]
    assert any(t["key"] == "nvidia.com/gpu" for t in spec["job"]["tolerations"])


def test_database_secret_example_is_valid() -> None:
    path = MANIFESTS / "examples" / "database-secret.yaml"
    (secret,) = load_documents(path)
    assert validation_errors(secret, str(path)) == []
    assert set(secret["stringData"]) == {"dsn"}


def test_a_broken_example_is_reported_by_field(tmp_path: Path) -> None:
    """The validator is not a rubber stamp: a Frontier with a bad band edge fails by path."""
    frontier = load_documents(MANIFESTS / "examples" / "shoppingbench-openai" / "frontier.yaml")[0]
    frontier["spec"]["bands"]["saturatedAbove"] = 1.5
    errors = validation_errors(frontier, "broken.yaml")
    assert any("saturatedAbove" in e for e in errors), errors
