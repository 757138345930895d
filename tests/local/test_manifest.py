"""Hostile manifests are refused in one line before anything is built from them: alias bombs,
size, depth, encodings, duplicate keys, and names Kubernetes would not accept."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml

from frontier.domain.manifest import SpecError
from frontier.local.manifest import MAX_BYTES, MAX_DEPTH, ManifestError, load_documents
from frontier.local.runner import load_manifest
from tests.support.frontiers import small_document

VALID = yaml.safe_dump(small_document())


def written(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "frontier.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def laughs(levels: int) -> str:
    """A "billion laughs" block: each level names the one below ten times."""
    lines = ['a0: &a0 "lol"']
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [{', '.join(f'*a{i - 1}' for _ in range(10))}]")
    return "\n".join(lines)


def test_an_alias_bomb_under_benchmark_options_is_refused_at_once(tmp_path: Path) -> None:
    bomb = laughs(9).replace("\n", "\n      ")
    text = VALID.replace("    options:\n", f"    options:\n      {bomb}\n", 1)
    started = time.monotonic()
    with pytest.raises(ManifestError, match=r"expands to more than 100,000 values \(YAML aliases"):
        load_manifest(written(tmp_path, text))
    assert time.monotonic() - started < 10


def test_a_few_aliases_are_still_fine(tmp_path: Path) -> None:
    assert load_documents(written(tmp_path, laughs(3)))  # 1 + 10 + 100 values


def test_a_duplicate_key_is_refused_naming_it_and_its_line(tmp_path: Path) -> None:
    text = VALID.replace("  profile:\n", "  profile:\n    k: 1\n", 1).replace(
        "    k: 4\n", "    k: 4\n    k: 1000\n", 1
    )
    path = written(tmp_path, text)
    with pytest.raises(
        ManifestError, match=r"frontier\.yaml:\d+: not valid YAML: duplicate key 'k'"
    ):
        load_manifest(path)


def test_a_document_nested_too_deeply_is_refused(tmp_path: Path) -> None:
    text = "a: " + "[" * 20_000 + "]" * 20_000 + "\n"
    with pytest.raises(ManifestError, match=f"nested deeper than {MAX_DEPTH} levels"):
        load_documents(written(tmp_path, text))


def test_a_manifest_larger_than_an_api_object_is_refused_before_parsing(tmp_path: Path) -> None:
    text = VALID + "# " + "x" * MAX_BYTES + "\n"
    started = time.monotonic()
    with pytest.raises(ManifestError, match=r"a manifest may hold at most 1,572,864"):
        load_manifest(written(tmp_path, text))
    assert time.monotonic() - started < 5


def test_a_manifest_that_is_not_utf8_names_the_line(tmp_path: Path) -> None:
    raw = VALID.encode().replace(b"name: shoppingbench-dev", b"name: shoppingb\xe9nch", 1)
    line = raw[: raw.index(b"\xe9")].count(b"\n") + 1
    with pytest.raises(ManifestError, match=rf"frontier\.yaml:{line}: not UTF-8 \(byte 0xe9"):
        load_manifest(written(tmp_path, raw))


@pytest.mark.parametrize(
    "name", ["../../etc/passwd", "x'); DROP TABLE rollouts;--", "Upper-Case", "a" * 254, "-x"]
)
def test_a_name_kubernetes_would_refuse_is_refused(tmp_path: Path, name: str) -> None:
    doc = small_document()
    doc["metadata"]["name"] = name
    with pytest.raises(SpecError, match=r"metadata\.name: must be a DNS-1123 subdomain"):
        load_manifest(written(tmp_path, yaml.safe_dump(doc)))


def test_a_namespace_kubernetes_would_refuse_is_refused(tmp_path: Path) -> None:
    doc = small_document()
    doc["metadata"]["namespace"] = "team.a"
    with pytest.raises(SpecError, match=r"metadata\.namespace: must be a DNS-1123 label"):
        load_manifest(written(tmp_path, yaml.safe_dump(doc)))


def test_an_error_quotes_a_huge_value_cut_to_a_readable_length(tmp_path: Path) -> None:
    doc = small_document()
    doc["apiVersion"] = "v" * 100_000
    with pytest.raises(SpecError) as caught:
        load_manifest(written(tmp_path, yaml.safe_dump(doc)))
    message = str(caught.value)
    assert "(100002 characters)" in message and len(message) < 1000


@pytest.mark.parametrize("value", [True, "3", 3.0])
def test_a_number_is_not_coerced_from_a_boolean_or_a_string_as_the_crd_would_not(
    tmp_path: Path, value: object
) -> None:
    doc = small_document()
    doc["spec"]["profile"]["k"] = value
    with pytest.raises(SpecError, match=r"spec\.profile\.k: Input should be a valid integer"):
        load_manifest(written(tmp_path, yaml.safe_dump(doc)))
