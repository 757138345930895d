"""values.yaml: valid against values.schema.json, documented line by line, and the schema
turns bad values away with the field's path (what `helm install` reports)."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.deploy.support import CHART

SCHEMA = json.loads((CHART / "values.schema.json").read_text())
CI_VALUES = sorted((CHART / "ci").glob("*-values.yaml"))


def defaults() -> dict[str, Any]:
    loaded = yaml.safe_load((CHART / "values.yaml").read_text())
    assert isinstance(loaded, dict)
    return loaded


def merged(overrides: dict[str, Any]) -> dict[str, Any]:
    """Helm's merge of a values file over the chart's defaults (maps merge, the rest replaces)."""

    def merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
        out = copy.deepcopy(base)
        for key, value in top.items():
            if isinstance(value, dict) and isinstance(out.get(key), dict):
                out[key] = merge(out[key], value)
            else:
                out[key] = value
        return out

    return merge(defaults(), overrides)


def errors(values: dict[str, Any]) -> list[str]:
    validator = jsonschema.Draft7Validator(SCHEMA)
    return sorted(
        f"{'.'.join(str(p) for p in e.absolute_path) or '<root>'}: {e.message}"
        for e in validator.iter_errors(values)
    )


def test_schema_is_a_valid_draft_7_schema() -> None:
    jsonschema.Draft7Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("path", CI_VALUES, ids=lambda p: p.name)
def test_each_ci_values_file_is_valid(path: Path) -> None:
    assert errors(merged(yaml.safe_load(path.read_text()))) == []


def test_ci_values_cover_both_database_choices_and_both_scopes() -> None:
    files = [merged(yaml.safe_load(p.read_text())) for p in CI_VALUES]
    assert {f["postgresql"]["enabled"] for f in files} == {True, False}
    assert {f["operator"]["scope"] for f in files} == {"namespace", "cluster"}


def test_defaults_alone_ask_for_a_database() -> None:
    """No DSN and no trial PostgreSQL: the install stops at the field to set."""
    found = errors(defaults())
    assert len(found) == 1 and found[0].startswith("database.existingSecret.name:"), found


@pytest.mark.parametrize(
    ("overrides", "path"),
    [
        ({"replicaCount": -1}, "replicaCount"),
        ({"replicaCount": 2}, "operator.peering.enabled"),
        ({"operator": {"scope": "galaxy"}}, "operator.scope"),
        ({"replicas": 1}, "<root>"),
        ({"image": {"digest": "latest"}}, "image.digest"),
        (
            {"metrics": {"prometheusRule": {"rolloutErrors": {"ratio": 1.5}}}},
            "metrics.prometheusRule.rolloutErrors.ratio",
        ),
        ({"metrics": {"serviceMonitor": {"interval": "soon"}}}, "metrics.serviceMonitor.interval"),
        ({"operator": {"watchNamespace": "Not_A_Namespace"}}, "operator.watchNamespace"),
        ({"postgresql": {"enabled": True, "username": "drop table"}}, "postgresql.username"),
    ],
)
def test_bad_values_are_rejected_by_path(overrides: dict[str, Any], path: str) -> None:
    values = merged({"database": {"existingSecret": {"name": "frontier-database"}}, **overrides})
    found = errors(values)
    assert any(e.startswith(f"{path}:") for e in found), found


def test_several_replicas_are_valid_with_peering() -> None:
    """Peering keeps one replica active; without it every replica would reconcile."""
    values = merged(
        {
            "database": {"existingSecret": {"name": "frontier-database"}},
            "replicaCount": 3,
            "operator": {"peering": {"enabled": True}},
        }
    )
    assert errors(values) == []


def test_schema_describes_every_default_key() -> None:
    def walk(values: dict[str, Any], schema: dict[str, Any], prefix: str) -> None:
        props = schema.get("properties", {})
        for key, value in values.items():
            assert key in props or schema.get("additionalProperties") not in (False, None), (
                f"{prefix}{key} is not in values.schema.json"
            )
            if isinstance(value, dict) and key in props and props[key].get("properties"):
                walk(value, props[key], f"{prefix}{key}.")

    walk(defaults(), SCHEMA, "")


def test_every_key_in_values_yaml_has_a_comment_above_it() -> None:
    lines = (CHART / "values.yaml").read_text().splitlines()
    key = re.compile(r"^\s*[A-Za-z_][\w.\-/]*:")
    undocumented = [
        f"line {n}: {line.strip()}"
        for n, line in enumerate(lines, 1)
        if key.match(line) and not lines[n - 2].strip().startswith("#")
    ]
    assert not undocumented, "\n".join(undocumented)
