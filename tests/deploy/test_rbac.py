"""The operator's RBAC, statically: the same rules in the chart and in kustomize, no
wildcards or Secrets, a rule for every kind the operator's client addresses, peering only
when enabled.

That the rules grant exactly the calls the operator makes, no fewer and no more, is not
decided here from a table: tests/operator/test_rbac.py runs the operator through a whole
cycle and compares the requests the API server received with these rules.
"""

from __future__ import annotations

from frontier.domain.specs import API_GROUP
from frontier.operator.crds import KINDS
from frontier.operator.kube import PLURALS
from tests.deploy.support import (
    CHART,
    MANIFESTS,
    RBAC_RULES,
    RBAC_TEMPLATE,
    grants,
    kustomize,
    peering_grants,
    rbac_rules,
)


def test_chart_and_kustomize_grant_the_same_rules() -> None:
    role = next(d for d in kustomize(MANIFESTS / "base") if d["kind"] == "Role")
    assert role["rules"] == rbac_rules()


def test_rules_have_no_wildcards_secrets_or_cluster_resources() -> None:
    for group, resource, verb in grants(rbac_rules()):
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
    granted = {(group, resource) for group, resource, _ in grants(rbac_rules())}
    for kind, plural in PLURALS.items():
        assert kind in KIND_GROUPS, f"the operator addresses {kind}: add its RBAC rule and group"
        assert (KIND_GROUPS[kind], plural) in granted, f"no rule for {kind} ({plural})"


def test_chart_role_includes_the_rules_file_and_peering_only_when_enabled() -> None:
    assert '.Files.Get "files/rbac/operator-rules.yaml"' in RBAC_TEMPLATE.read_text()
    assert "kopf.dev" not in RBAC_RULES.read_text()
    for scope in ("cluster", "namespace"):
        assert {group for group, _, _ in peering_grants(scope)} == {"kopf.dev"}


def test_worker_account_in_the_chart_gets_no_token_and_no_binding() -> None:
    accounts = (CHART / "templates" / "serviceaccount.yaml").read_text()
    worker = accounts.split("---", 1)[1]
    assert "automountServiceAccountToken: false" in worker
    assert "workerServiceAccountName" not in RBAC_TEMPLATE.read_text()
