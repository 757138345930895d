from pathlib import Path
from typing import Any

import pytest
import yaml

from frontier.domain.manifest import SpecError, parse_resource
from frontier.domain.specs import FrontierSpec, ModelRef

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def frontier(**spec: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "benchmark": {"name": "shoppingbench", "source": {"paths": ["tasks.jsonl"]}},
        "solver": {"name": "solver"},
    }
    base.update(spec)
    return {
        "apiVersion": "frontier.dev/v1alpha1",
        "kind": "Frontier",
        "metadata": {"name": "f"},
        "spec": base,
    }


def test_defaults_follow_the_design() -> None:
    spec = parse_resource(frontier()).spec
    assert isinstance(spec, FrontierSpec)
    assert spec.bands.unreachable_at_most == 0.02
    assert spec.bands.saturated_above == 0.70
    assert spec.profile.k == 4
    assert spec.verification.overlap_hard_below == 0.40
    assert spec.slice.size == 150
    assert spec.solver.provider == "heuristic"


def test_wire_form_is_camel_case_and_round_trips() -> None:
    spec = parse_resource(frontier(bands={"unreachableAtMost": 0.1, "saturatedAbove": 0.8})).spec
    wire = spec.to_wire()
    assert wire["bands"] == {"unreachableAtMost": 0.1, "saturatedAbove": 0.8}
    assert "overlapHardBelow" in wire["verification"]
    assert FrontierSpec.model_validate(wire) == spec


def test_snake_case_names_work_in_python() -> None:
    m = ModelRef(name="m", provider="openai", base_url="http://x/v1", model="qwen")
    assert m.to_wire()["baseUrl"] == "http://x/v1"


INVALID: list[tuple[str, dict[str, Any], str, str]] = [
    (
        "thresholds in the wrong order",
        {"bands": {"unreachableAtMost": 0.7, "saturatedAbove": 0.7}},
        "spec.bands",
        "must be below",
    ),
    (
        "threshold above one",
        {"bands": {"saturatedAbove": 1.5}},
        "spec.bands.saturatedAbove",
        "less than or equal to 1",
    ),
    (
        "negative threshold",
        {"bands": {"unreachableAtMost": -0.1}},
        "spec.bands.unreachableAtMost",
        "greater than or equal to 0",
    ),
    ("k of zero", {"profile": {"k": 0}}, "spec.profile.k", "greater than or equal to 1"),
    (
        "admission k of zero",
        {"admission": {"k": 0}},
        "spec.admission.k",
        "greater than or equal to 1",
    ),
    (
        "verification k negative",
        {"verification": {"k": -2}},
        "spec.verification.k",
        "greater than or equal to 1",
    ),
    ("slice size zero", {"slice": {"size": 0}}, "spec.slice.size", "greater than or equal to 1"),
    ("unknown field", {"solverr": {}}, "spec.solverr", "unknown field"),
    ("unknown nested field", {"profile": {"kk": 3}}, "spec.profile.kk", "unknown field"),
    ("k as text", {"profile": {"k": "four"}}, "spec.profile.k", "valid integer"),
    (
        "openai without base url",
        {"solver": {"name": "s", "provider": "openai", "model": "m"}},
        "spec.solver",
        "baseUrl",
    ),
    (
        "unknown provider",
        {"solver": {"name": "s", "provider": "anthropic"}},
        "spec.solver.provider",
        "heuristic",
    ),
    (
        "skill on an openai model",
        {
            "solver": {
                "name": "s",
                "provider": "openai",
                "baseUrl": "http://x",
                "model": "m",
                "skill": 0.5,
            }
        },
        "spec.solver",
        "skill applies only to provider 'heuristic'",
    ),
    (
        "skill above one",
        {"solver": {"name": "s", "skill": 1.5}},
        "spec.solver.skill",
        "less than or equal to 1",
    ),
    (
        "skill below zero",
        {"solver": {"name": "s", "skill": -0.1}},
        "spec.solver.skill",
        "greater than or equal to 0",
    ),
    (
        "heuristic with an endpoint",
        {"solver": {"name": "s", "baseUrl": "http://x"}},
        "spec.solver",
        "provider 'heuristic' takes no baseUrl",
    ),
    (
        "model name not a dns label",
        {"solver": {"name": "My Solver"}},
        "spec.solver.name",
        "DNS label",
    ),
    (
        "two api key sources",
        {
            "solver": {
                "name": "s",
                "provider": "openai",
                "baseUrl": "http://x",
                "model": "m",
                "apiKeyEnv": "A",
                "apiKeyFile": "/k",
            }
        },
        "spec.solver",
        "at most one",
    ),
    ("duplicate model names", {"verifiers": [{"name": "solver"}]}, "spec", "used twice"),
    ("llm teacher without model", {"teacher": {"kind": "llm"}}, "spec.teacher", "needs a model"),
    (
        "no task paths",
        {"benchmark": {"name": "b", "source": {"paths": []}}},
        "spec.benchmark.source.paths",
        "at least 1",
    ),
    ("no benchmark", {"benchmark": None}, "spec.benchmark", "valid dictionary"),
    (
        "no saturation threshold",
        {"saturation": {"solverSaturatedFraction": None}},
        "spec.saturation",
        "at least one",
    ),
    (
        "fraction above one",
        {"saturation": {"solverSaturatedFraction": 2}},
        "spec.saturation.solverSaturatedFraction",
        "less than or equal to 1",
    ),
    (
        "negative cooldown",
        {"saturation": {"cooldownSeconds": -1}},
        "spec.saturation.cooldownSeconds",
        "greater than or equal to 0",
    ),
    (
        "adaptive min above max",
        {"profile": {"adaptive": {"minRollouts": 9, "maxRollouts": 3}}},
        "spec.profile.adaptive",
        "minRollouts",
    ),
    (
        "bad toleration operator",
        {"job": {"tolerations": [{"operator": "Maybe"}]}},
        "spec.job.tolerations[0].operator",
        "Exists",
    ),
    (
        "temperature too high",
        {"solver": {"name": "s", "temperature": 9}},
        "spec.solver.temperature",
        "less than or equal to 2",
    ),
    (
        "on error unknown",
        {"benchmark": {"name": "b", "source": {"paths": ["x"], "onError": "ignore"}}},
        "spec.benchmark.source.onError",
        "fail",
    ),
]


@pytest.mark.parametrize(("case", "patch", "path", "message"), INVALID, ids=[c[0] for c in INVALID])
def test_invalid_frontier_spec_is_rejected_naming_the_field(
    case: str, patch: dict[str, Any], path: str, message: str
) -> None:
    with pytest.raises(SpecError) as info:
        parse_resource(frontier(**patch), source="frontier.yaml")
    paths = {e.path for e in info.value.errors}
    assert path in paths, f"{case}: {info.value}"
    assert message in str(info.value)
    assert str(info.value).startswith("frontier.yaml: invalid spec")


@pytest.mark.parametrize(
    ("doc", "path"),
    [
        ([], "<root>"),
        ({"apiVersion": "v1", "kind": "Frontier", "metadata": {"name": "x"}}, "apiVersion"),
        (
            {"apiVersion": "frontier.dev/v1alpha1", "kind": "Gizmo", "metadata": {"name": "x"}},
            "kind",
        ),
        (
            {"apiVersion": "frontier.dev/v1alpha1", "kind": "Frontier", "metadata": {}},
            "metadata.name",
        ),
    ],
)
def test_malformed_documents_name_what_is_wrong(doc: Any, path: str) -> None:
    with pytest.raises(SpecError) as info:
        parse_resource(doc)
    assert path in {e.path for e in info.value.errors}


def test_run_specs_validate_their_task_sets() -> None:
    doc = {
        "apiVersion": "frontier.dev/v1alpha1",
        "kind": "ProfileRun",
        "metadata": {"name": "r"},
        "spec": {"frontier": "f", "model": {"name": "m"}, "taskSet": {"kind": "slice"}},
    }
    with pytest.raises(SpecError, match="sliceVersion"):
        parse_resource(doc)


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.name)
def test_every_example_manifest_is_a_valid_resource(path: Path) -> None:
    for doc in yaml.safe_load_all(path.read_text()):
        if doc and str(doc.get("apiVersion", "")).startswith("frontier.dev/"):
            parse_resource(doc, source=str(path))


def test_adaptive_confidence_defaults_to_the_measured_best_of_its_mode() -> None:
    from frontier.domain.specs import AdaptiveSpec

    assert AdaptiveSpec(enabled=True).stop_confidence == 0.7
    assert AdaptiveSpec(enabled=True, mode="curtail").stop_confidence == 0.9
    assert AdaptiveSpec(enabled=True, mode="curtail", confidence=0.8).stop_confidence == 0.8
    assert AdaptiveSpec().min_rollouts == 1


def test_a_heuristic_model_takes_a_skill_and_leaves_it_unset_by_default() -> None:
    assert ModelRef(name="h").skill is None
    assert ModelRef.model_validate({"name": "h", "skill": 0.25}).skill == 0.25


def test_profile_and_skill_on_an_openai_model_are_both_named() -> None:
    with pytest.raises(ValueError, match="profile and skill apply only to provider 'heuristic'"):
        ModelRef(
            name="m", provider="openai", base_url="http://x", model="m", profile="p", skill=0.5
        )
