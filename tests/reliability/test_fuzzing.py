"""Fuzzed task lines and spec documents: the documented validation error, never a crash.

The documented errors are: for task files, a `LoadError` (skip mode) or a
`TaskFileError` naming file:line (fail mode); for spec documents, a
`SpecError` whose every entry names a field path; for a manifest file, a
`ManifestError` or a `SpecError`. Inputs are real records and a valid
Frontier with parts replaced by arbitrary JSON, cut short, or arbitrary text.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from frontier.benchmarks.jsonlines import TaskFileError
from frontier.benchmarks.shoppingbench.loader import load_tasks
from frontier.domain.manifest import SpecError, parse_resource
from frontier.local.runner import ManifestError, load_manifest
from tests.support.frontiers import SHARED_DATA, dev_sample_dir

FAMILIES = ("product", "shop", "voucher", "web")
FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)


def real_records() -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for family in FAMILIES:
        path = SHARED_DATA / f"{family}.dev.jsonl"
        if not path.exists():
            dev_sample_dir()  # skips, or fails in CI
        lines = path.read_text(encoding="utf-8").splitlines()[:20]
        found[family] = [r for r in (_parse(line) for line in lines) if r is not None]
    return found


def _parse(line: str) -> dict[str, Any] | None:
    try:
        value = json.loads(line)
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


RECORDS = real_records()


def paths_in(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a node inside a JSON value."""
    found = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            found.extend(paths_in(v, (*prefix, k)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found.extend(paths_in(v, (*prefix, i)))
    return found


def replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: replaced(value[head], rest, new)}
    copy = list(value)
    copy[head] = replaced(copy[head], rest, new)
    return copy


def dropped(value: Any, path: tuple[Any, ...]) -> Any:
    if len(path) == 1:
        if isinstance(value, dict):
            return {k: v for k, v in value.items() if k != path[0]}
        return [v for i, v in enumerate(value) if i != path[0]]
    head = path[0]
    if isinstance(value, dict):
        return {**value, head: dropped(value[head], path[1:])}
    copy = list(value)
    copy[head] = dropped(copy[head], path[1:])
    return copy


@st.composite
def mutated(draw: st.DrawFn, original: Any) -> Any:
    """`original` with one to three nodes replaced by arbitrary JSON or removed."""
    value = original
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(paths_in(value)))
        if path and draw(st.booleans()):
            value = dropped(value, path)
        else:
            value = replaced(value, path, draw(json_values))
    return value


@st.composite
def task_lines(draw: st.DrawFn) -> tuple[str, str]:
    """A family and one task line: a mutated real record, a cut-off one, or arbitrary text."""
    family = draw(st.sampled_from(FAMILIES))
    record = draw(st.sampled_from(RECORDS[family]))
    kind = draw(st.sampled_from(["mutated", "truncated", "text", "json"]))
    if kind == "mutated":
        line = json.dumps(draw(mutated(record)))
    elif kind == "truncated":
        full = json.dumps(record)
        line = full[: draw(st.integers(0, len(full) - 1))]
    elif kind == "text":
        line = draw(st.text(max_size=200))
    else:
        line = json.dumps(draw(json_values))
    return family, line


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("sku_options", {"1": 1}),
        ("sku_options", [1]),
        ("sold_count", [1]),
        ("sold_count", {"n": 1}),
        ("sold_count", "1e999"),
    ],
)
def test_a_web_record_with_a_wrongly_typed_product_field_is_a_load_error_at_its_line(
    field: str, value: Any, tmp_path: Path
) -> None:
    record = dict(RECORDS["web"][0])
    record["reward"] = {**record["reward"], field: value}
    path = tmp_path / "web.dev.jsonl"
    path.write_text(json.dumps(RECORDS["web"][1]) + "\n" + json.dumps(record) + "\n")
    loaded = load_tasks([str(path)], on_error="skip")
    assert len(loaded.tasks) == 1
    assert [(e.line, field in e.message) for e in loaded.errors] == [(2, True)]


@FUZZ
@given(st.lists(task_lines(), min_size=1, max_size=5))
def test_fuzzed_task_lines_load_or_fail_with_file_and_line(lines: list[tuple[str, str]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        family = lines[0][0]
        path = Path(folder) / f"{family}.dev.jsonl"
        path.write_text("\n".join(line for _, line in lines) + "\n", encoding="utf-8")
        file_lines = path.read_text(encoding="utf-8").count("\n")
        skipped = load_tasks([str(path)], on_error="skip")
        for error in skipped.errors:
            assert error.file == str(path) and 1 <= error.line <= file_lines
            assert error.message
        try:
            strict = load_tasks([str(path)], on_error="fail")
        except TaskFileError as exc:
            assert str(exc).startswith(f"{path}:{exc.error.line}")
            assert skipped.errors, "fail mode failed where skip mode saw no error"
        else:
            assert not skipped.errors
            assert [t.id for t in strict.tasks] == [t.id for t in skipped.tasks]


def valid_frontier() -> dict[str, Any]:
    return {
        "apiVersion": "frontier.dev/v1alpha1",
        "kind": "Frontier",
        "metadata": {"name": "fuzz", "namespace": "ns"},
        "spec": {
            "benchmark": {
                "name": "shoppingbench",
                "source": {"paths": ["t.jsonl"], "onError": "skip", "limitPerFamily": 3},
                "options": {"catalog": "embedded"},
            },
            "solver": {
                "name": "solver",
                "provider": "openai",
                "baseUrl": "http://x/v1",
                "model": "m",
                "apiKeyEnv": "KEY",
            },
            "teacher": {"kind": "procedural", "motifs": ["add_constraint"]},
            "verifiers": [{"name": "v", "profile": "careful"}],
            "bands": {"unreachableAtMost": 0.02, "saturatedAbove": 0.7},
            "profile": {"k": 4, "adaptive": {"enabled": True, "minRollouts": 2}},
            "saturation": {"solverSaturatedFraction": 0.5, "maxRounds": 3},
            "job": {"tolerations": [{"key": "gpu", "operator": "Exists"}]},
        },
    }


SPEC_ROOTS = ("spec", "apiVersion", "kind", "metadata", "<root>")


def assert_parses_or_names_fields(doc: Any) -> None:
    try:
        parse_resource(doc, source="fuzz.yaml")
    except SpecError as exc:
        assert exc.errors, "a SpecError without a field"
        for error in exc.errors:
            assert error.path.split(".")[0].split("[")[0] in SPEC_ROOTS, error
            assert error.message
        assert str(exc).startswith("fuzz.yaml: invalid spec")


def with_spec(spec: Any) -> dict[str, Any]:
    return {**valid_frontier(), "spec": spec}


fuzzed_frontiers = mutated(valid_frontier()["spec"]).map(with_spec)
"""A valid Frontier whose spec is fuzzed; the envelope (kind, metadata) is fuzzed apart, below."""


@FUZZ
@given(fuzzed_frontiers)
def test_fuzzed_frontier_specs_parse_or_name_the_bad_field(doc: Any) -> None:
    assert_parses_or_names_fields(doc)


@FUZZ
@given(
    st.fixed_dictionaries(
        {
            "apiVersion": st.just("frontier.dev/v1alpha1") | st.text(max_size=20),
            "kind": st.sampled_from(["Frontier", "ProfileRun", "Gizmo"]) | st.text(max_size=10),
            "metadata": st.fixed_dictionaries(
                {"name": st.text(max_size=20) | st.none()},
                optional={
                    "namespace": st.none() | st.text(max_size=20),
                    "labels": st.dictionaries(st.text(max_size=10), st.text(max_size=10)),
                },
            ),
            "spec": st.just(valid_frontier()["spec"]),
        }
    )
)
def test_fuzzed_envelopes_of_the_right_types_parse_or_name_the_bad_field(doc: Any) -> None:
    assert_parses_or_names_fields(doc)


@pytest.mark.parametrize("kind", [[], ["Frontier"], {"a": 1}])
def test_a_kind_that_is_not_a_string_is_named_as_the_bad_field(kind: Any) -> None:
    with pytest.raises(SpecError) as info:
        parse_resource({**valid_frontier(), "kind": kind})
    assert "kind" in {e.path for e in info.value.errors}


@pytest.mark.parametrize("labels", [[1, 2], "team=a"])
def test_labels_that_are_not_a_mapping_are_named_as_the_bad_field(labels: Any) -> None:
    doc = valid_frontier()
    doc["metadata"]["labels"] = labels
    with pytest.raises(SpecError) as info:
        parse_resource(doc)
    assert "metadata.labels" in {e.path for e in info.value.errors}


@pytest.mark.parametrize("namespace", [["a"], 7, {"x": "y"}])
def test_a_namespace_that_is_not_a_string_is_named_as_the_bad_field(namespace: Any) -> None:
    doc = valid_frontier()
    doc["metadata"]["namespace"] = namespace
    with pytest.raises(SpecError) as info:
        parse_resource(doc)
    assert "metadata.namespace" in {e.path for e in info.value.errors}


@FUZZ
@given(json_values)
def test_arbitrary_json_is_never_taken_for_a_resource_without_a_reason(doc: Any) -> None:
    assert_parses_or_names_fields(doc)


@FUZZ
@given(st.text(max_size=300) | fuzzed_frontiers.map(json.dumps))
def test_a_fuzzed_manifest_file_fails_only_with_a_manifest_or_spec_error(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "frontier.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            load_manifest(path)
        except (ManifestError, SpecError) as exc:
            assert str(exc).startswith(str(path))
