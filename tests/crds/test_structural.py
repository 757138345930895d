from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from frontier.domain.specs import GROUP_VERSION
from frontier.operator.crds import KINDS, all_crds, crd
from tests.crds.structural import schema_errors, violations

ROOT = Path(__file__).resolve().parents[2]


def openapi(kind: str) -> dict[str, Any]:
    schema: dict[str, Any] = crd(kind)["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    return schema


def spec_schema(kind: str) -> dict[str, Any]:
    node: dict[str, Any] = openapi(kind)["properties"]["spec"]
    return node


@pytest.mark.parametrize("kind", list(KINDS))
def test_generated_schema_is_structural(kind: str) -> None:
    assert violations(openapi(kind)) == []


def test_every_crd_has_status_subresource_columns_short_names_and_category() -> None:
    for definition in all_crds():
        version = definition["spec"]["versions"][0]
        assert version["subresources"] == {"status": {}}
        assert version["served"] and version["storage"]
        names = definition["spec"]["names"]
        assert names["categories"] == ["frontier-operator"]
        assert len(names["shortNames"]) == 1
        columns = [c["name"] for c in version["additionalPrinterColumns"]]
        assert columns[-2:] == ["Phase", "Age"]
        assert definition["spec"]["group"] == "frontier.dev"


def test_frontier_printer_columns_show_solver_bands_and_slice() -> None:
    version = crd("Frontier")["spec"]["versions"][0]
    paths = [c["jsonPath"] for c in version["additionalPrinterColumns"]]
    assert paths == [
        ".spec.solver.name",
        ".status.bands.saturated",
        ".status.bands.hillclimbable",
        ".status.bands.unreachable",
        ".status.sliceVersion",
        ".status.phase",
        ".metadata.creationTimestamp",
    ]


def test_status_schema_keeps_room_for_kopf_progress() -> None:
    for kind in KINDS:
        kopf = openapi(kind)["properties"]["status"]["properties"]["kopf"]
        assert kopf["x-kubernetes-preserve-unknown-fields"] is True


def test_band_edges_carry_a_cel_rule_ordering_them() -> None:
    bands = spec_schema("Frontier")["properties"]["bands"]
    (rule,) = bands["x-kubernetes-validations"]
    assert "self.unreachableAtMost" in rule["rule"] and "self.saturatedAbove" in rule["rule"]
    assert "<" in rule["rule"] and "<=" not in rule["rule"]
    assert "0.02" in rule["rule"] and "0.7" in rule["rule"]  # the defaults, when unset


def test_thresholds_are_fractions_and_k_is_at_least_one() -> None:
    props = spec_schema("Frontier")["properties"]
    for name in ("unreachableAtMost", "saturatedAbove"):
        assert props["bands"]["properties"][name]["minimum"] == 0
        assert props["bands"]["properties"][name]["maximum"] == 1
    assert props["profile"]["properties"]["k"]["minimum"] == 1
    assert spec_schema("ProfileRun")["properties"]["k"]["minimum"] == 1


def test_optional_fields_are_nullable_without_union() -> None:
    fraction = spec_schema("Frontier")["properties"]["saturation"]["properties"][
        "verifierSaturatedFraction"
    ]
    assert fraction["type"] == "number" and fraction["nullable"] is True
    assert "anyOf" not in fraction


def test_free_form_fields_preserve_unknown_fields_and_only_those() -> None:
    free: list[str] = []

    def walk(node: dict[str, Any], path: str) -> None:
        if node.get("x-kubernetes-preserve-unknown-fields"):
            free.append(path)
        for name, sub in node.get("properties", {}).items():
            walk(sub, f"{path}.{name}")
        if isinstance(node.get("items"), dict):
            walk(node["items"], f"{path}[]")

    walk(spec_schema("Frontier"), "spec")
    assert sorted(free) == [
        "spec.benchmark.options",
        "spec.job.affinity",
        "spec.job.env[]",
        "spec.job.volumeMounts[]",
        "spec.job.volumes[]",
    ]


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ({"bands": {"saturatedAbove": 1.5}}, "bands.saturatedAbove"),
        ({"profile": {"k": 0}}, "profile.k"),
        ({"teacher": {"kind": "oracle"}}, "teacher.kind"),
        ({"solver": {"name": "s", "provider": "magic"}}, "solver.provider"),
        ({"benchmark": {"name": "b", "source": {"paths": []}}}, "benchmark.source.paths"),
        ({"unknownField": 1}, "<root>"),
    ],
)
def test_schema_rejects_bad_values(document: dict[str, Any], field: str) -> None:
    spec: dict[str, Any] = {
        "benchmark": {"name": "b", "source": {"paths": ["t.jsonl"]}},
        "solver": {"name": "s"},
    }
    spec.update(document)
    errors = schema_errors(spec_schema("Frontier"), spec)
    assert errors, "expected a schema error"
    assert any(e.startswith(field) for e in errors), errors


def frontier_documents() -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = []
    files = [
        *sorted((ROOT / "examples").glob("*.yaml")),
        *sorted((ROOT / "manifests").rglob("*.yaml")),
    ]
    for path in files:
        for doc in yaml.safe_load_all(path.read_text()):
            if isinstance(doc, dict) and doc.get("apiVersion") == GROUP_VERSION:
                found.append((f"{path.relative_to(ROOT)}:{doc['kind']}", doc))
    return found


def test_there_is_at_least_one_example_manifest() -> None:
    assert frontier_documents()


@pytest.mark.parametrize(("source", "doc"), frontier_documents(), ids=lambda v: str(v)[:60])
def test_example_manifest_validates_against_its_crd(source: str, doc: dict[str, Any]) -> None:
    assert doc["kind"] in KINDS, source
    assert schema_errors(openapi(doc["kind"]), doc) == []


# --- negative tests: the checker catches what the API server would reject ---


def broken(mutate: Any) -> list[str]:
    schema = copy.deepcopy(openapi("Frontier"))
    mutate(schema)
    return violations(schema)


def spec_props(schema: dict[str, Any]) -> dict[str, Any]:
    props: dict[str, Any] = schema["properties"]["spec"]["properties"]
    return props


def test_checker_flags_a_missing_type() -> None:
    assert any(
        "missing type" in v
        for v in broken(lambda s: spec_props(s)["slice"]["properties"]["size"].pop("type"))
    )


def test_checker_flags_a_ref() -> None:
    found = broken(lambda s: spec_props(s).__setitem__("slice", {"$ref": "#/$defs/SliceSpec"}))
    assert any("'$ref'" in v for v in found)


def test_checker_flags_properties_with_additional_properties() -> None:
    found = broken(
        lambda s: spec_props(s)["slice"].__setitem__("additionalProperties", {"type": "string"})
    )
    assert any("mutually exclusive" in v for v in found)


def test_checker_flags_a_type_inside_any_of() -> None:
    def mutate(s: dict[str, Any]) -> None:
        spec_props(s)["seedish"] = {"anyOf": [{"type": "integer"}, {"type": "string"}]}

    found = broken(mutate)
    assert any("must not be set inside" in v for v in found)
    assert any(".spec.seedish: missing type" in v for v in found)


def test_checker_flags_an_array_without_items() -> None:
    found = broken(lambda s: spec_props(s)["verifiers"].pop("items"))
    assert any("an array needs items" in v for v in found)


def test_checker_flags_a_default_outside_its_schema() -> None:
    found = broken(lambda s: spec_props(s)["slice"]["properties"]["size"].__setitem__("default", 0))
    assert any("default 0 is invalid" in v for v in found)


def test_checker_flags_metadata_restrictions_beyond_name() -> None:
    def mutate(s: dict[str, Any]) -> None:
        s["properties"]["metadata"]["properties"] = {"labels": {"type": "object"}}

    assert any("only name and generateName" in v for v in broken(mutate))


def test_checker_flags_a_non_boolean_nullable() -> None:
    found = broken(lambda s: spec_props(s)["slice"].__setitem__("nullable", "yes"))
    assert any("nullable must be a boolean" in v for v in found)


def test_checker_flags_an_empty_cel_rule() -> None:
    found = broken(
        lambda s: spec_props(s)["bands"].__setitem__("x-kubernetes-validations", [{"rule": ""}])
    )
    assert any("needs a rule string" in v for v in found)


@pytest.mark.parametrize(("source", "doc"), frontier_documents(), ids=lambda v: str(v)[:60])
def test_example_manifest_validates_against_the_domain_models(
    source: str, doc: dict[str, Any]
) -> None:
    from frontier.domain.manifest import parse_resource

    resource = parse_resource(doc, source=source)
    assert resource.kind == doc["kind"]


def test_resource_quantities_take_numbers_and_strings_as_kubernetes_does() -> None:
    limits = spec_schema("Frontier")["properties"]["job"]["properties"]["resources"]
    quantity = limits["additionalProperties"]["additionalProperties"]
    assert quantity["x-kubernetes-int-or-string"] is True and "type" not in quantity


def test_every_spec_field_has_a_description_for_kubectl_explain() -> None:
    missing: list[str] = []

    def walk(node: dict[str, Any], path: str) -> None:
        for name, sub in (node.get("properties") or {}).items():
            if not sub.get("description"):
                missing.append(f"{path}.{name}")
            walk(sub, f"{path}.{name}")
        for key in ("items", "additionalProperties"):
            if isinstance(node.get(key), dict):
                walk(node[key], f"{path}[]")

    for kind in ("Frontier", "ProfileRun", "MutationRound", "VerificationRun"):
        walk(spec_schema(kind), f"{kind}.spec")
    assert missing == []
