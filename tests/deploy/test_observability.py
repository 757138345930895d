"""The alerts and the Grafana dashboard: every expression is valid PromQL and reads only
the series (and labels) the operator exports."""

from __future__ import annotations

import json
import re
from typing import Any

import promql_parser
import pytest
import yaml

from tests.deploy.support import CHART, EXPORTED_METRICS

VALUES = yaml.safe_load((CHART / "values.yaml").read_text())
RULES_TEMPLATE = (CHART / "templates" / "prometheusrule.yaml").read_text()
DASHBOARD = json.loads((CHART / "files" / "dashboards" / "frontier.json").read_text())


def alert_expressions() -> dict[str, str]:
    """Each alert's expr with the template's placeholders filled from values.yaml defaults."""
    settings = VALUES["metrics"]["prometheusRule"]
    found: dict[str, str] = {}
    blocks = re.findall(
        r"\{\{- with \$rule\.(\w+) \}\}\n\s*\{\{- if \.enabled \}\}\n"
        r"(?:\s*#[^\n]*\n)*\s*- alert: (\w+)\n\s*expr: \|\n(.*?)\n\s*(?:for|labels):",
        RULES_TEMPLATE,
        re.S,
    )
    for setting, alert, expr in blocks:
        own = settings[setting]
        expr = re.sub(r"\{\{ \.(\w+) \}\}", lambda m, own=own: str(own[m.group(1)]), expr)
        expr = expr.replace("{{ $job }}", "frontier-operator-metrics")
        expr = expr.replace("{{ $.Release.Namespace }}", "frontier-system")
        assert "{{" not in expr, f"{alert}: unfilled placeholder in {expr}"
        found[alert] = expr
    return found


def selectors(expr: str) -> list[tuple[str, set[str]]]:
    """(metric name, label names matched) of every vector selector in `expr`."""
    out: list[tuple[str, set[str]]] = []

    def visit(node: Any) -> bool:
        if isinstance(node, promql_parser.VectorSelector):
            labels = {m.name for m in node.matchers.matchers} if node.matchers else set()
            out.append((node.name, labels))
        return True

    promql_parser.walk(promql_parser.parse(expr), visit)
    return out


def grouping_labels(expr: str) -> set[str]:
    return {
        label.strip()
        for group in re.findall(r"\b(?:by|on|without|ignoring)\s*\(([^)]*)\)", expr)
        for label in group.split(",")
        if label.strip()
    }


def dashboard_expressions() -> dict[str, str]:
    """Each panel target's expr, with Grafana's variables replaced by PromQL literals."""
    found = {}
    for panel in DASHBOARD["panels"]:
        for target in panel.get("targets", []):
            expr = target["expr"].replace("$__rate_interval", "5m").replace("$__range", "1h")
            found[f"{panel['title']}/{target['refId']}"] = expr
    for annotation in DASHBOARD["annotations"]["list"]:
        found[f"annotation/{annotation['name']}"] = annotation["expr"]
    return found


ALERTS = alert_expressions()
PANELS = dashboard_expressions()


def test_the_four_alerts_of_the_issue_and_operator_down_are_defined() -> None:
    assert set(ALERTS) == {
        "FrontierSaturationDetected",
        "FrontierNoAdmissions",
        "FrontierRolloutErrors",
        "FrontierRunStuck",
        "FrontierOperatorDown",
    }


@pytest.mark.parametrize("name", sorted(ALERTS) + sorted(PANELS))
def test_expression_is_valid_promql_over_exported_series(name: str) -> None:
    expr = ALERTS.get(name) or PANELS[name]
    found = selectors(expr)  # raises ValueError on invalid PromQL
    assert found, f"{name}: reads no series"
    for metric, labels in found:
        assert metric in EXPORTED_METRICS, f"{name}: {metric} is not exported"
        assert labels <= EXPORTED_METRICS[metric], (
            f"{name}: {metric} has no {labels - EXPORTED_METRICS[metric]}"
        )
    known = set().union(*(EXPORTED_METRICS[m] for m, _ in found))
    assert grouping_labels(expr) <= known, f"{name}: groups by a label its series lack"


def test_invalid_promql_is_caught() -> None:
    with pytest.raises(ValueError):
        selectors("sum by (frontier (rate(frontier_tasks[5m]))")


def test_alert_thresholds_come_from_values() -> None:
    assert (
        ALERTS["FrontierNoAdmissions"]
        .strip()
        .endswith(f">= {VALUES['metrics']['prometheusRule']['noAdmissions']['rounds']}")
    )
    assert (
        str(VALUES["metrics"]["prometheusRule"]["runStuck"]["seconds"])
        in ALERTS["FrontierRunStuck"]
    )


def test_dashboard_covers_every_exported_frontier_series() -> None:
    used = {metric for expr in PANELS.values() for metric, _ in selectors(expr)}
    wanted = {
        m for m in EXPORTED_METRICS if m.startswith("frontier_") and m != "frontier_run_phase"
    }
    assert wanted <= used, f"no panel shows {sorted(wanted - used)}"


def test_dashboard_layout_is_well_formed() -> None:
    ids = [p["id"] for p in DASHBOARD["panels"]]
    assert len(ids) == len(set(ids))
    for panel in DASHBOARD["panels"]:
        grid = panel["gridPos"]
        assert grid["x"] >= 0 and grid["x"] + grid["w"] <= 24, panel["title"]
    variables = {v["name"] for v in DASHBOARD["templating"]["list"]}
    assert {"datasource", "frontier", "model"} <= variables
    assert DASHBOARD["uid"] and DASHBOARD["title"]
