"""Paths, renderers and validators shared by the deployment tests.

Why a module: the chart, the kustomize base and the examples are checked with the same
validators (Kubernetes schemas from kubernetes-validate, the CRDs' own schemas, and the
domain's parse_resource), so a manifest means the same to every test.
"""

from __future__ import annotations

import copy
import functools
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import yaml

from frontier.domain.manifest import parse_resource
from tests.crds.structural import schema_errors

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "frontier-operator"
MANIFESTS = ROOT / "manifests"
CRDS = ROOT / "crds"
RBAC_RULES = CHART / "files" / "rbac" / "operator-rules.yaml"
RBAC_TEMPLATE = CHART / "templates" / "rbac.yaml"

KUBERNETES_VERSION = "1.31"
"""The oldest Kubernetes the manifests target with every feature on (Chart.yaml says >=1.29)."""

# The series the operator exports (issue 5): the dashboard and the alerts may use only these.
EXPORTED_METRICS: dict[str, set[str]] = {
    "frontier_tasks": {"frontier", "model", "band"},
    "frontier_reward_mean": {"frontier", "model"},
    "frontier_rollouts_total": {"frontier", "model", "status"},
    "frontier_tokens_total": {"frontier", "model", "direction"},
    "frontier_cost_usd_total": {"frontier", "model"},
    "frontier_stage_tokens_total": {"frontier", "stage", "model", "direction"},
    "frontier_stage_cost_usd_total": {"frontier", "stage", "model"},
    "frontier_cost_per_rollout_usd": {"frontier", "stage", "model"},
    "frontier_cost_per_success_usd": {"frontier", "stage", "model"},
    "frontier_accuracy_per_dollar": {"frontier", "stage", "model"},
    "frontier_cost_per_admitted_task_usd": {"frontier"},
    "frontier_spend_since_last_slice_usd": {"frontier"},
    "frontier_calibration_version": {"frontier"},
    "frontier_ability_theta": {"frontier", "model"},
    "frontier_ability_theta_se": {"frontier", "model"},
    "frontier_items_flagged": {"frontier", "flag"},
    "frontier_placement_theta": {"frontier", "model", "calibration"},
    "frontier_placement_theta_se": {"frontier", "model", "calibration"},
    "frontier_placement_items_asked": {"frontier", "model"},
    "frontier_placement_expected_pass": {"frontier", "model", "slice_version"},
    "frontier_candidates_total": {"frontier", "decision", "reason"},
    "frontier_admission_yield": {"frontier"},
    "frontier_saturation_events_total": {"frontier"},
    "frontier_rounds_without_admission": {"frontier"},
    "frontier_run_phase": {"frontier", "run", "kind", "phase"},
    "frontier_run_phase_seconds": {"frontier", "run", "kind", "phase"},
    "frontier_reconcile_duration_seconds_bucket": {"le"},
    "frontier_job_duration_seconds_bucket": {"frontier", "le"},
    "up": {"job", "namespace"},
}


def kustomize(folder: Path) -> list[dict[str, Any]]:
    """The documents `kubectl kustomize folder` prints (kubectl renders offline)."""
    return copy.deepcopy(_kustomize(folder))


@functools.cache
def _kustomize(folder: Path) -> list[dict[str, Any]]:
    kubectl = shutil.which("kubectl")
    assert kubectl, "kubectl is needed to render kustomize folders (apt: kubectl)"
    done = subprocess.run(
        [kubectl, "kustomize", str(folder)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, f"kubectl kustomize {folder} failed:\n{done.stderr}"
    return [d for d in yaml.safe_load_all(done.stdout) if d]


def load_documents(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


@functools.cache
def crd_schemas() -> dict[str, dict[str, Any]]:
    """The openAPIV3Schema of each frontier.dev kind, from crds/."""
    out: dict[str, dict[str, Any]] = {}
    for path in sorted(CRDS.glob("frontier.dev_*.yaml")):
        crd = yaml.safe_load(path.read_text())
        version = crd["spec"]["versions"][0]
        out[crd["spec"]["names"]["kind"]] = version["schema"]["openAPIV3Schema"]
    return out


def validation_errors(doc: dict[str, Any], source: str) -> list[str]:
    """Every way `doc` is not a valid object: frontier.dev kinds against their CRD schema
    and the domain's parser, everything else against the Kubernetes OpenAPI schemas."""
    where = f"{source}: {doc.get('kind')}/{(doc.get('metadata') or {}).get('name')}"
    if str(doc.get("apiVersion", "")).startswith("frontier.dev/"):
        errors = [f"{where}: {e}" for e in schema_errors(crd_schemas()[doc["kind"]], doc)]
        try:
            parse_resource(doc, where)
        except ValueError as exc:
            errors.append(str(exc))
        return errors
    try:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as exc:
        return [f"{where}: {exc.message} at {'.'.join(str(p) for p in exc.path)}"]
    return []


Grant = tuple[str, str, str]
"""What RBAC checks for one API call: (API group, resource[/subresource], verb)."""


def rbac_rules() -> list[dict[str, Any]]:
    """The operator's rules (the chart's files/rbac/operator-rules.yaml)."""
    rules = yaml.safe_load(RBAC_RULES.read_text())
    assert isinstance(rules, list) and rules
    return rules


def grants(rules: list[dict[str, Any]]) -> set[Grant]:
    return {
        (group, resource, verb)
        for rule in rules
        for group in rule["apiGroups"]
        for resource in rule["resources"]
        for verb in rule["verbs"]
    }


def peering_block() -> str:
    """The template's kopf peering rule: the text between its `if peering.enabled` and `end`."""
    found = re.search(
        r"\{\{- if \.Values\.operator\.peering\.enabled \}\}(.*?)\{\{- end \}\}",
        RBAC_TEMPLATE.read_text(),
        re.S,
    )
    assert found, "the kopf peering rule must be conditional on operator.peering.enabled"
    return found.group(1)


def peering_grants(scope: str) -> set[Grant]:
    """What the peering rule grants in `scope` ("cluster": clusterkopfpeerings, else kopfpeerings)."""
    block = peering_block()
    groups = re.findall(r'apiGroups: \["([^"]*)"\]', block)
    verbs = re.findall(r'"(\w+)"', block.split("verbs:")[1])
    resource = "clusterkopfpeerings" if scope == "cluster" else "kopfpeerings"
    assert f'"{resource}"' in block, f"the peering rule does not name {resource}"
    return {(group, resource, verb) for group in groups for verb in verbs}
