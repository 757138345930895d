"""The operator's RBAC: the same rules in the chart and in kustomize, and nothing more
than the calls the operator makes."""

from __future__ import annotations

import re
from typing import Any

import yaml

from frontier.domain.specs import API_GROUP
from frontier.operator.crds import KINDS
from frontier.operator.kube import PLURALS
from tests.deploy.support import CHART, MANIFESTS, kustomize

RULES_FILE = CHART / "files" / "rbac" / "operator-rules.yaml"

# What the operator calls, by (API group, resource), and where. A new call in the operator
# needs a line here and in files/rbac/operator-rules.yaml, on purpose.
OPERATOR_CALLS: dict[tuple[str, str], set[str]] = {
    # kopf: list+watch every handled kind, patch its finalizer; operator/*: kube.get, kube.create.
    **{
        (API_GROUP, info.plural): {"get", "list", "watch", "create", "patch"}
        for info in KINDS.values()
    },
    # runtime.patch_status, and kopf's progress storage in status.kopf.
    **{(API_GROUP, f"{info.plural}/status"): {"patch"} for info in KINDS.values()},
    # jobs.py: get, create (adopt on 409), patch (_keep_in_step); main.py: kopf.on.event(jobs).
    ("batch", "jobs"): {"get", "list", "watch", "create", "patch"},
    # jobs.py: list the pods of a Job.
    ("", "pods"): {"list"},
    # kopf's event posting (core/v1).
    ("", "events"): {"create"},
    # runtime.event: kube.create, which reads the object back on 409.
    ("events.k8s.io", "events"): {"create", "get"},
}
PEERING_CALLS = {"get", "list", "watch", "patch"}


def grants(rules: list[dict[str, Any]]) -> set[tuple[str, str, str]]:
    return {
        (group, resource, verb)
        for rule in rules
        for group in rule["apiGroups"]
        for resource in rule["resources"]
        for verb in rule["verbs"]
    }


def chart_rules() -> list[dict[str, Any]]:
    rules = yaml.safe_load(RULES_FILE.read_text())
    assert isinstance(rules, list) and rules
    return rules


def test_chart_and_kustomize_grant_the_same_rules() -> None:
    role = next(d for d in kustomize(MANIFESTS / "base") if d["kind"] == "Role")
    assert role["rules"] == chart_rules()


def test_rules_grant_nothing_beyond_the_operator_calls() -> None:
    allowed = {(g, r, v) for (g, r), verbs in OPERATOR_CALLS.items() for v in verbs}
    extra = grants(chart_rules()) - allowed
    assert not extra, f"granted but never called: {sorted(extra)}"


def test_rules_cover_every_operator_call() -> None:
    needed = {(g, r, v) for (g, r), verbs in OPERATOR_CALLS.items() for v in verbs}
    missing = needed - grants(chart_rules())
    assert not missing, f"called but not granted: {sorted(missing)}"


def test_rules_have_no_wildcards_secrets_or_cluster_resources() -> None:
    for group, resource, verb in grants(chart_rules()):
        assert "*" not in (group, resource, verb)
        assert resource not in {"secrets", "namespaces", "nodes", "customresourcedefinitions"}
        assert verb not in {"escalate", "bind", "impersonate"}


# The API group of each kind the operator's client addresses (frontier.operator.kube).
KIND_GROUPS = {kind: API_GROUP for kind in KINDS} | {
    "Job": "batch",
    "Pod": "",
    "Event": "events.k8s.io",
}


def test_rules_cover_every_kind_the_operator_client_addresses() -> None:
    """A kind added to the operator's client without an RBAC rule fails here, not in a cluster."""
    granted = {(group, resource) for group, resource, _ in grants(chart_rules())}
    for kind, plural in PLURALS.items():
        assert kind in KIND_GROUPS, f"the operator addresses {kind}: add its RBAC rule and group"
        assert (KIND_GROUPS[kind], plural) in granted, f"no rule for {kind} ({plural})"


def test_chart_role_includes_the_rules_file_and_peering_only_when_enabled() -> None:
    template = (CHART / "templates" / "rbac.yaml").read_text()
    assert '.Files.Get "files/rbac/operator-rules.yaml"' in template
    peering = re.search(
        r"\{\{- if \.Values\.operator\.peering\.enabled \}\}(.*?)\{\{- end \}\}", template, re.S
    )
    assert peering, "the kopf peering rule must be conditional on operator.peering.enabled"
    assert '"kopf.dev"' in peering.group(1)
    verbs = set(re.findall(r'"(\w+)"', peering.group(1).split("verbs:")[1]))
    assert verbs == PEERING_CALLS
    assert "kopf.dev" not in RULES_FILE.read_text()


def test_worker_account_in_the_chart_gets_no_token_and_no_binding() -> None:
    accounts = (CHART / "templates" / "serviceaccount.yaml").read_text()
    worker = accounts.split("---", 1)[1]
    assert "automountServiceAccountToken: false" in worker
    rbac = (CHART / "templates" / "rbac.yaml").read_text()
    assert "workerServiceAccountName" not in rbac
