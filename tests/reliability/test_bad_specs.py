"""A table of invalid Frontier documents, each through every way a spec enters the system.

- locally: `frontier run -f FILE` exits 2 and names the field on stderr, before
  it opens a database or reads a task;
- in a cluster: the CRD's openAPI schema (what the API server checks, with
  unknown fields rejected as `kubectl apply --validate=strict` does) rejects it
  naming the field, or, for a cross-field rule a schema cannot state, admits it
  and the operator's reconcile marks the Frontier `SpecValid=False` with the
  field in the condition and a Warning Event. The CRD's CEL rules (the two
  ordered pairs: band edges, adaptive min/max) are evaluated with cel-python,
  and checked to agree with the domain models on every pair of values.

tests/domain/test_specs.py checks the domain's messages; this table checks the paths.
"""

from __future__ import annotations

import asyncio
import copy
import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import celpy
import pytest
import yaml
from celpy.adapter import json_to_cel
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError
from typer.testing import CliRunner

from frontier.cli.main import app
from frontier.domain.specs import AdaptiveSpec, BandSpec
from frontier.operator.crds import crd
from frontier.operator.frontier import reconcile
from tests.crds.structural import schema_errors

Catch = Literal["schema", "cel", "operator", "none"]
"""Where the CRD path stops the document: the openAPI schema, its CEL rules, the operator,
or nowhere in the CRD (a document the API server never hands to this CRD)."""


def valid() -> dict[str, Any]:
    return {
        "apiVersion": "frontier.dev/v1alpha1",
        "kind": "Frontier",
        "metadata": {"name": "bad", "namespace": "team-a"},
        "spec": {
            "benchmark": {"name": "shoppingbench", "source": {"paths": ["tasks/*.jsonl"]}},
            "solver": {"name": "solver"},
            "verifiers": [{"name": "verifier-a"}, {"name": "verifier-b", "profile": "careful"}],
        },
    }


def at(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """Set a dotted path ('spec.bands.saturatedAbove', 'spec.verifiers.1.maxSteps')."""

    def patch(doc: dict[str, Any]) -> None:
        *parents, leaf = path.split(".")
        node: Any = doc
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
        if isinstance(node, list):
            node[int(leaf)] = value
        else:
            node[leaf] = value

    return patch


def drop(path: str) -> Callable[[dict[str, Any]], None]:
    def patch(doc: dict[str, Any]) -> None:
        *parents, leaf = path.split(".")
        node: Any = doc
        for part in parents:
            node = node[part]
        del node[leaf]

    return patch


@dataclass(frozen=True)
class Case:
    name: str
    patch: Callable[[dict[str, Any]], None]
    field: str
    """The field path as frontier names it (camelCase, [i] for list items)."""
    catch: Catch


OPENAI = {"name": "solver", "provider": "openai", "baseUrl": "http://vllm:8000/v1", "model": "m"}

CASES = [
    Case("band edge above one", at("spec.bands.saturatedAbove", 1.5), "spec.bands.saturatedAbove", "schema"),
    Case("negative band edge", at("spec.bands.unreachableAtMost", -0.1), "spec.bands.unreachableAtMost", "schema"),
    Case("band edges in the wrong order", at("spec.bands", {"unreachableAtMost": 0.8, "saturatedAbove": 0.7}), "spec.bands", "cel"),
    Case("k of zero", at("spec.profile.k", 0), "spec.profile.k", "schema"),
    Case("k written as a word", at("spec.profile.k", "four"), "spec.profile.k", "schema"),
    Case("admission k of zero", at("spec.admission.k", 0), "spec.admission.k", "schema"),
    Case("canary threshold above one", at("spec.verification.overlapHardBelow", 1.2), "spec.verification.overlapHardBelow", "schema"),
    Case("empty slice", at("spec.slice.size", 0), "spec.slice.size", "schema"),
    Case("misspelled top-level field", at("spec.solverr", {"name": "x"}), "spec.solverr", "schema"),
    Case("misspelled nested field", at("spec.profile.kk", 3), "spec.profile.kk", "schema"),
    Case("unknown provider", at("spec.solver.provider", "anthropic"), "spec.solver.provider", "schema"),
    Case("openai model without baseUrl", at("spec.solver", {"name": "solver", "provider": "openai", "model": "m"}), "spec.solver", "operator"),
    Case("heuristic model with an endpoint", at("spec.solver.baseUrl", "http://x/v1"), "spec.solver", "operator"),
    Case("model name not a DNS label", at("spec.solver.name", "My Solver"), "spec.solver.name", "operator"),
    Case("two API key sources", at("spec.solver", {**OPENAI, "apiKeyEnv": "KEY", "apiKeyFile": "/k"}), "spec.solver", "operator"),
    Case("solver and verifier share a name", at("spec.verifiers.0.name", "solver"), "spec", "operator"),
    Case("llm teacher without a model", at("spec.teacher", {"kind": "llm"}), "spec.teacher", "operator"),
    Case("llm teacher on a heuristic model", at("spec.teacher", {"kind": "llm", "model": {"name": "t"}}), "spec.teacher", "operator"),
    Case("no task paths", at("spec.benchmark.source.paths", []), "spec.benchmark.source.paths", "schema"),
    Case("no benchmark", drop("spec.benchmark"), "spec.benchmark", "schema"),
    Case("no solver", drop("spec.solver"), "spec.solver", "schema"),
    Case("no saturation threshold", at("spec.saturation", {"solverSaturatedFraction": None}), "spec.saturation", "operator"),
    Case("negative cooldown", at("spec.saturation.cooldownSeconds", -1), "spec.saturation.cooldownSeconds", "schema"),
    Case("adaptive minimum above maximum", at("spec.profile.adaptive", {"minRollouts": 9, "maxRollouts": 3}), "spec.profile.adaptive", "cel"),
    Case("unknown toleration operator", at("spec.job.tolerations", [{"operator": "Maybe"}]), "spec.job.tolerations[0].operator", "schema"),
    Case("unknown image pull policy", at("spec.job.imagePullPolicy", "Sometimes"), "spec.job.imagePullPolicy", "schema"),
    Case("temperature above two", at("spec.solver.temperature", 9), "spec.solver.temperature", "schema"),
    Case("zero concurrency", at("spec.solver.concurrency", 0), "spec.solver.concurrency", "schema"),
    Case("zero timeout", at("spec.solver.timeoutSeconds", 0), "spec.solver.timeoutSeconds", "schema"),
    Case("second verifier with zero steps", at("spec.verifiers.1.maxSteps", 0), "spec.verifiers[1].maxSteps", "schema"),
    Case("unknown onError", at("spec.benchmark.source.onError", "ignore"), "spec.benchmark.source.onError", "schema"),
    Case("limit per family of zero", at("spec.benchmark.source.limitPerFamily", 0), "spec.benchmark.source.limitPerFamily", "schema"),
    Case("negative price", at("spec.solver.pricing", {"inputPerMillion": -1}), "spec.solver.pricing.inputPerMillion", "schema"),
    Case("unknown parent selection", at("spec.mutation.parentSelection", "best"), "spec.mutation.parentSelection", "schema"),
    Case("zero stop duration", at("spec.stop.maxDurationSeconds", 0), "spec.stop.maxDurationSeconds", "schema"),
    Case("a wrong apiVersion", at("apiVersion", "frontier.dev/v1"), "apiVersion", "none"),
    Case("no metadata.name", at("metadata", {"namespace": "team-a"}), "metadata.name", "none"),
]  # fmt: skip


def document(case: Case) -> dict[str, Any]:
    doc = valid()
    case.patch(doc)
    return doc


def test_the_table_is_large_and_its_valid_document_is_valid(tmp_path: Path) -> None:
    assert len(CASES) >= 20
    assert len({c.name for c in CASES}) == len(CASES)
    assert schema_errors(openapi(), valid()) == []
    assert cel_failures(openapi(), valid()) == []
    manifest = tmp_path / "frontier.yaml"
    manifest.write_text(yaml.safe_dump(valid()))
    result = CliRunner().invoke(app, ["run", "-f", str(manifest), "--db", "sqlite://"])
    assert result.exit_code == 2  # valid, but it gets as far as the missing task files
    assert (
        "spec.benchmark.source.paths[0]: 'tasks/*.jsonl' matches no file"
        in result.stderr.replace("\n", "")
    )


# --- the local YAML path ------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_frontier_run_rejects_the_spec_naming_the_field(case: Case, tmp_path: Path) -> None:
    manifest = tmp_path / "frontier.yaml"
    manifest.write_text(yaml.safe_dump(document(case)))
    db = tmp_path / "never-created.db"
    result = CliRunner().invoke(app, ["run", "-f", str(manifest), "--db", f"sqlite:///{db}"])
    assert result.exit_code == 2, result.output
    assert f"{case.field}: " in result.stderr, result.stderr
    assert str(manifest) in result.stderr
    assert "Traceback" not in result.output + result.stderr
    assert not db.exists(), "an invalid spec must fail before the database is touched"


# --- the CRD path ---------------------------------------------------------------------------


def openapi() -> dict[str, Any]:
    schema: dict[str, Any] = crd("Frontier")["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    return copy.deepcopy(schema)


def names_field(errors: list[str], field: str) -> bool:
    """Whether a schema error names `field`: at its path, or as a property of its parent."""
    dotted = field.replace("[", ".").replace("]", "")
    parent, _, leaf = dotted.rpartition(".")
    return any(
        e.startswith(f"{dotted}: ") or (e.startswith(f"{parent}: ") and f"'{leaf}'" in e)
        for e in errors
    )


CEL = celpy.Environment()


@functools.cache
def cel_program(rule: str) -> Any:
    return CEL.program(CEL.compile(rule))


def cel_failures(schema: dict[str, Any], value: Any, path: str = "") -> list[str]:
    """Every x-kubernetes-validations rule `value` breaks, as 'path: message' (as the API
    server evaluates them: on each node present, an evaluation error counts as a failure)."""
    found: list[str] = []
    for rule in schema.get("x-kubernetes-validations", []):
        verdict = cel_program(rule["rule"]).evaluate({"self": json_to_cel(value)})
        if not (isinstance(verdict, celpy.celtypes.BoolType) and bool(verdict)):
            found.append(f"{path}: {rule['message']}")
    if isinstance(value, dict):
        for name, sub in schema.get("properties", {}).items():
            if value.get(name) is not None:
                found += cel_failures(sub, value[name], f"{path}.{name}" if path else name)
    items = schema.get("items")
    if isinstance(value, list) and isinstance(items, dict):
        for i, item in enumerate(value):
            found += cel_failures(items, item, f"{path}[{i}]")
    return found


def accepted(model: type[Any], value: dict[str, Any]) -> bool:
    try:
        model.model_validate(value)
    except ValidationError:
        return False
    return True


def spec_node(name: str) -> dict[str, Any]:
    node: dict[str, Any] = openapi()["properties"]["spec"]["properties"][name]
    return node


fractions = st.sampled_from([0.0, 0.02, 0.5, 0.7, 1.0]) | st.floats(0, 1)


@given(
    st.fixed_dictionaries(
        {}, optional={"unreachableAtMost": fractions, "saturatedAbove": fractions}
    )
)
def test_the_crds_band_rule_agrees_with_the_domain_model(bands: dict[str, float]) -> None:
    rejected = cel_failures(spec_node("bands"), bands) != []
    assert rejected == (not accepted(BandSpec, bands))


@given(
    st.fixed_dictionaries(
        {}, optional={"minRollouts": st.integers(1, 40), "maxRollouts": st.integers(1, 40)}
    )
)
def test_the_crds_adaptive_rule_agrees_with_the_domain_model(adaptive: dict[str, int]) -> None:
    schema = spec_node("profile")["properties"]["adaptive"]
    rejected = cel_failures(schema, adaptive) != []
    assert rejected == (not accepted(AdaptiveSpec, adaptive))


CRD_CASES = [c for c in CASES if c.catch != "none"]


@pytest.mark.parametrize("case", CRD_CASES, ids=lambda c: c.name)
def test_the_crd_path_rejects_the_spec_naming_the_field(case: Case) -> None:
    doc = document(case)
    errors = schema_errors(openapi(), doc)
    if case.catch == "schema":
        assert names_field(errors, case.field), errors
    else:
        assert errors == [], f"the schema was expected to let this through: {errors}"
    if case.catch == "cel":
        assert any(f.startswith(f"{case.field}: ") for f in cel_failures(openapi(), doc))
    # Whatever the API server admits, the operator refuses, naming the field.
    rt = RecordingRuntime()
    asyncio.run(reconcile(rt, doc))  # type: ignore[arg-type]
    (status,) = rt.statuses
    assert status["phase"] == "Invalid"
    valid_condition = next(c for c in status["conditions"] if c["type"] == "SpecValid")
    assert valid_condition["status"] == "False"
    assert f"{case.field}: " in valid_condition["message"]
    assert [(reason, kind) for reason, _, kind in rt.events] == [("InvalidSpec", "Warning")]
    assert f"{case.field}: " in rt.events[0][1]


class RecordingRuntime:
    """What reconcile does with an invalid spec: a status patch and an Event, nothing else."""

    def __init__(self) -> None:
        self.statuses: list[dict[str, Any]] = []
        self.events: list[tuple[str, str, str]] = []

    async def patch_status(self, body: Any, status: dict[str, Any]) -> None:
        self.statuses.append(dict(status))

    async def event(self, body: Any, reason: str, note: str, *, key: str, type: str) -> None:
        self.events.append((reason, note, type))

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"reconcile of an invalid spec touched rt.{name}")
