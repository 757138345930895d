"""Render and lint the chart with Helm's own CLI, then validate what it renders.

Helm v4 is built from the Go module proxy with the control plane (scripts/ensure-control-plane,
which `make test` runs and puts on PATH). Without a `helm` on PATH these tests skip, except
in CI (CI=true), where that is an error: nothing proves the templates evaluate otherwise.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from frontier.domain.specs import SecretKeyRef
from frontier.operator.runtime import OperatorConfig
from tests.deploy.support import CHART, validation_errors

HELM = shutil.which("helm")
if HELM is None and os.environ.get("CI"):
    raise RuntimeError("CI needs helm on PATH: run scripts/ensure-control-plane")
pytestmark = pytest.mark.skipif(
    HELM is None, reason="no helm on PATH (scripts/ensure-control-plane builds it)"
)
CI_VALUES = sorted((CHART / "ci").glob("*-values.yaml"))
CUSTOM_KINDS = {"ServiceMonitor", "PrometheusRule", "KopfPeering", "ClusterKopfPeering"}


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), capture_output=True, text=True, timeout=180)


def render(values: Path) -> list[dict[str, Any]]:
    assert HELM is not None
    done = run(HELM, "template", "frontier-operator", str(CHART), "--namespace",
               "frontier-system", "--include-crds", "--values", str(values))  # fmt: skip
    assert done.returncode == 0, f"rendering with {values.name} failed:\n{done.stderr}"
    return [d for d in yaml.safe_load_all(done.stdout) if d]


def lint_problems(values: Path) -> list[str]:
    """Warnings and errors of `helm lint` (informational messages are not problems)."""
    assert HELM is not None
    done = run(HELM, "lint", "--strict", str(CHART), "--values", str(values))
    return [] if done.returncode == 0 else [done.stdout + done.stderr]


@pytest.mark.parametrize("values", CI_VALUES, ids=lambda p: p.name)
def test_chart_lints_without_warnings(values: Path) -> None:
    assert lint_problems(values) == []


@pytest.mark.parametrize("values", CI_VALUES, ids=lambda p: p.name)
def test_every_rendered_object_is_valid_kubernetes(values: Path) -> None:
    docs = render(values)
    assert any(d["kind"] == "Deployment" for d in docs)
    errors = [
        e
        for doc in docs
        if doc["kind"] not in CUSTOM_KINDS
        for e in validation_errors(doc, values.name)
    ]
    assert not errors, "\n".join(errors)


def test_rendered_role_carries_exactly_the_rules_file() -> None:
    docs = render(CHART / "ci" / "existing-secret-values.yaml")
    role = next(d for d in docs if d["kind"] == "Role")
    rules = yaml.safe_load((CHART / "files" / "rbac" / "operator-rules.yaml").read_text())
    assert role["rules"] == rules


def test_cluster_scope_renders_a_cluster_role_with_the_cluster_peering_rule() -> None:
    docs = render(CHART / "ci" / "full-values.yaml")
    kinds = {d["kind"] for d in docs}
    assert {"ClusterRole", "ClusterRoleBinding", "ClusterKopfPeering"} <= kinds
    assert not {"Role", "RoleBinding", "KopfPeering"} & kinds
    role = next(d for d in docs if d["kind"] == "ClusterRole")
    rules = yaml.safe_load((CHART / "files" / "rbac" / "operator-rules.yaml").read_text())
    assert role["rules"][:-1] == rules
    assert role["rules"][-1]["resources"] == ["clusterkopfpeerings"]
    deployment = next(d for d in docs if d["kind"] == "Deployment")
    args = deployment["spec"]["template"]["spec"]["containers"][0]["args"]
    assert "--all-namespaces" in args and "--peering=frontier-operator" in args


def test_trial_database_dsn_reaches_the_operator_by_reference() -> None:
    docs = render(CHART / "ci" / "trial-values.yaml")
    secret = next(d for d in docs if d["kind"] == "Secret")
    deployment = next(d for d in docs if d["kind"] == "Deployment")
    env = {e["name"]: e for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["FRONTIER_DB"]["valueFrom"]["secretKeyRef"] == {
        "name": secret["metadata"]["name"],
        "key": "dsn",
    }
    assert any(d["kind"] == "StatefulSet" for d in docs)
    (init,) = deployment["spec"]["template"]["spec"]["initContainers"]
    assert init["args"] == ["db", "upgrade"]
    assert init["env"][0]["valueFrom"] == env["FRONTIER_DB"]["valueFrom"]
    config = OperatorConfig.from_env(
        {"FRONTIER_DATABASE_SECRET": env["FRONTIER_DATABASE_SECRET"]["value"]}
    )
    assert config.database_secret == SecretKeyRef(name=secret["metadata"]["name"], key="dsn")


def test_defaults_without_a_database_stop_at_the_field(tmp_path: Path) -> None:
    empty = tmp_path / "empty-values.yaml"
    empty.write_text("{}\n")
    assert HELM is not None
    done = run(HELM, "template", "frontier-operator", str(CHART), "--values", str(empty))
    assert done.returncode != 0
    assert "existingSecret" in done.stderr, done.stderr[-2000:]
