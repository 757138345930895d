"""The Helm chart, checked offline without a helm binary: metadata, CRDs, and every
reference a template makes (values paths, helpers, files) resolved against the chart.

What this does NOT cover: rendering itself (Go templates and sprig functions are not
evaluated here). tests/deploy/test_helm.py renders and lints when `helm` is on PATH.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

import frontier
from tests.crds.structural import violations
from tests.deploy.support import CHART, CRDS, validation_errors

TEMPLATES = sorted((CHART / "templates").glob("*.yaml"))
HELPERS = (CHART / "templates" / "_helpers.tpl").read_text()
VALUES = yaml.safe_load((CHART / "values.yaml").read_text())
SEMVER = re.compile(r"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")


def all_template_text() -> str:
    return HELPERS + "".join(p.read_text() for p in TEMPLATES)


def lookup(values: dict[str, Any], dotted: str) -> bool:
    node: Any = values
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def test_chart_metadata_is_complete_and_matches_the_package() -> None:
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    assert chart["apiVersion"] == "v2"
    assert chart["name"] == CHART.name
    assert chart["type"] == "application"
    assert SEMVER.match(chart["version"])
    assert chart["appVersion"] == frontier.__version__
    assert chart["kubeVersion"].startswith(">=1.29")
    assert chart["description"].strip()


def test_chart_crds_are_byte_copies_of_the_generated_crds() -> None:
    generated = {p.name: p.read_text() for p in CRDS.glob("frontier.dev_*.yaml")}
    copied = {p.name: p.read_text() for p in (CHART / "crds").glob("frontier.dev_*.yaml")}
    assert copied.keys() == generated.keys()
    stale = sorted(n for n in generated if copied[n] != generated[n])
    assert not stale, (
        f"charts/frontier-operator/crds is stale: cp crds/frontier.dev_*.yaml ({stale})"
    )


def test_chart_crds_folder_holds_only_crds() -> None:
    """Helm applies every file in crds/ as is: a stray kustomization.yaml would fail the install."""
    for path in (CHART / "crds").iterdir():
        docs = [d for d in yaml.safe_load_all(path.read_text()) if d]
        assert [d["kind"] for d in docs] == ["CustomResourceDefinition"], path.name


def test_kopf_peering_crds_are_valid_and_structural() -> None:
    peering = sorted((CHART / "crds").glob("kopf.dev_*.yaml"))
    kinds = set()
    for path in peering:
        crd = yaml.safe_load(path.read_text())
        assert validation_errors(crd, str(path)) == []
        for version in crd["spec"]["versions"]:
            assert violations(version["schema"]["openAPIV3Schema"]) == [], path.name
        kinds.add((crd["spec"]["names"]["kind"], crd["spec"]["scope"]))
    assert kinds == {("KopfPeering", "Namespaced"), ("ClusterKopfPeering", "Cluster")}


@pytest.mark.parametrize(
    "path", [*TEMPLATES, CHART / "templates" / "_helpers.tpl"], ids=lambda p: p.name
)
def test_template_actions_are_balanced(path: Path) -> None:
    text = path.read_text()
    assert text.count("{{") == text.count("}}"), f"{path.name}: unbalanced {{{{ }}}}"
    opened = len(re.findall(r"\{\{-?\s*(?:if|with|range|define)\b", text))
    closed = len(re.findall(r"\{\{-?\s*end\b", text))
    assert opened == closed, f"{path.name}: {opened} blocks opened, {closed} closed"


def test_every_values_path_a_template_reads_exists_in_values_yaml() -> None:
    text = all_template_text()
    missing = sorted(
        {p for p in re.findall(r"\.Values\.([A-Za-z_][\w.]*)", text) if not lookup(VALUES, p)}
    )
    # Variables bound to a values subtree: `$pg := .Values.postgresql` then `$pg.image.tag`.
    for variable, base in re.findall(r"\$(\w+) := \.Values\.([\w.]+)", text):
        for rest in re.findall(rf"\${variable}\.([A-Za-z_][\w.]*)", text):
            if not lookup(VALUES, f"{base}.{rest}"):
                missing.append(f"{base}.{rest} (as ${variable})")
    assert not missing, f"templates read values that values.yaml does not define: {missing}"


def test_alert_blocks_read_only_their_own_settings() -> None:
    text = (CHART / "templates" / "prometheusrule.yaml").read_text()
    rules = VALUES["metrics"]["prometheusRule"]
    blocks = re.findall(
        r"\{\{- with \$rule\.(\w+) \}\}\n\s*\{\{- if \.enabled \}\}(.*?)\{\{- end \}\}\n\s*\{\{- end \}\}",
        text,
        re.S,
    )
    assert {name for name, _ in blocks} == {
        k for k, v in rules.items() if isinstance(v, dict) and "severity" in v
    }
    for name, body in blocks:
        for key in re.findall(r"\{\{-? \.(\w+)", body):
            assert key in rules[name], f"{name} reads .{key}, which values.yaml does not define"


def test_every_included_helper_is_defined() -> None:
    text = all_template_text()
    defined = set(re.findall(r'\{\{-? define "([\w.]+)"', HELPERS))
    used = set(re.findall(r'include "([\w.]+)"', text))
    assert used <= defined, f"undefined helpers: {sorted(used - defined)}"


def test_every_file_a_template_reads_exists() -> None:
    for name in re.findall(r'\.Files\.Get "([^"]+)"', all_template_text()):
        assert (CHART / name).is_file(), name


def test_templates_render_only_known_kinds() -> None:
    kinds = set()
    for path in TEMPLATES:
        text = path.read_text()
        for api, kind in re.findall(r"^apiVersion: (\S+)\n(?:.*\n)*?kind: (.+)$", text, re.M):
            kinds.update((api, k.strip()) for k in re.findall(r"(?:\}\})?([A-Z]\w+)", kind))
    expected = {
        ("v1", "ServiceAccount"), ("v1", "Service"), ("v1", "Secret"), ("v1", "ConfigMap"),
        ("apps/v1", "Deployment"), ("apps/v1", "StatefulSet"),
        ("rbac.authorization.k8s.io/v1", "Role"), ("rbac.authorization.k8s.io/v1", "ClusterRole"),
        ("rbac.authorization.k8s.io/v1", "RoleBinding"),
        ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
        ("monitoring.coreos.com/v1", "ServiceMonitor"), ("monitoring.coreos.com/v1", "PrometheusRule"),
        ("kopf.dev/v1", "KopfPeering"), ("kopf.dev/v1", "ClusterKopfPeering"),
    }  # fmt: skip
    assert kinds == expected


def test_operator_pod_is_hardened_by_default() -> None:
    pod, container = VALUES["podSecurityContext"], VALUES["securityContext"]
    assert pod["runAsNonRoot"] is True and pod["runAsUser"] != 0
    assert pod["seccompProfile"] == {"type": "RuntimeDefault"}
    assert container["readOnlyRootFilesystem"] is True
    assert container["allowPrivilegeEscalation"] is False
    assert container["capabilities"] == {"drop": ["ALL"]}
    assert VALUES["resources"]["requests"]["cpu"] and VALUES["resources"]["requests"]["memory"]
    deployment = (CHART / "templates" / "deployment.yaml").read_text()
    assert "toYaml .Values.podSecurityContext" in deployment
    assert "toYaml .Values.securityContext" in deployment
    assert "--liveness=http://0.0.0.0:{{ .Values.healthPort }}/healthz" in deployment
    assert deployment.count("path: /healthz") == 2


def test_dsn_is_only_ever_a_secret_reference() -> None:
    deployment = (CHART / "templates" / "deployment.yaml").read_text()
    block = deployment.split("- name: FRONTIER_DB\n", 1)[1].split("- name:", 1)[0]
    assert "secretKeyRef" in block and "value:" not in block


def test_dashboard_configmap_embeds_the_dashboard_file() -> None:
    template = (CHART / "templates" / "grafana-dashboard.yaml").read_text()
    assert '.Files.Get "files/dashboards/frontier.json"' in template
