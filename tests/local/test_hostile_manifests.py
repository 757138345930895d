"""A corpus of hostile manifests: each refused by `frontier run` in a few lines naming the
problem, with exit code 2, no traceback, and no database created.

The cases are what a manifest from the wild, a broken template or a hostile author may
hold: alias bombs, size and depth, encodings and control characters, duplicate keys,
YAML tags, non-finite and out-of-range numbers, and names Kubernetes would refuse.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from frontier.cli.main import app
from frontier.local.manifest import MAX_BYTES
from tests.support.frontiers import small_document

VALID = yaml.safe_dump(small_document())


def laughs(levels: int, indent: str = "") -> str:
    """A "billion laughs" block: each level names the one below ten times."""
    lines = ['a0: &a0 "lol"']
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [{', '.join(f'*a{i - 1}' for _ in range(10))}]")
    return ("\n" + indent).join(lines)


def merge_bomb(levels: int) -> str:
    """Mappings merged into mappings: each level holds ten merged copies of the one below."""
    lines = ["m0: &m0 {a: 1, b: 2, c: 3}"]
    for i in range(1, levels):
        keys = ", ".join(f"k{j}: *m{i - 1}" for j in range(10))
        lines.append(f"m{i}: &m{i} {{{keys}}}")
    return "\n".join(lines)


def doc_with(edit: Callable[[dict[str, Any]], None]) -> str:
    doc = small_document()
    edit(doc)
    return yaml.safe_dump(doc)


def setting(path: str, value: Any) -> Callable[[], str]:
    """The valid manifest with the field at dotted `path` set to `value`."""

    def build() -> str:
        def edit(doc: dict[str, Any]) -> None:
            *parents, last = path.split(".")
            node = doc
            for part in parents:
                node = node[int(part)] if isinstance(node, list) else node[part]
            node[last] = value

        return doc_with(edit)

    return build


def replaced(old: str, new: str) -> Callable[[], str]:
    def build() -> str:
        assert old in VALID, old
        return VALID.replace(old, new, 1)

    return build


def raw(data: bytes) -> Callable[[], bytes]:
    return lambda: data


def text(data: str) -> Callable[[], str]:
    return lambda: data


HOSTILE: list[tuple[str, Callable[[], str | bytes], str]] = [
    # alias bombs
    ("alias bomb at the top", text(laughs(9)), "expands to more than 100,000 values"),
    ("alias bomb under options", replaced("    options:\n", f"    options:\n      {laughs(9, '      ')}\n"), "expands to more than 100,000 values"),
    ("alias bomb of merged mappings", text(merge_bomb(7)), "expands to more than 100,000 values"),
    ("alias bomb in a list of verifiers", text(laughs(8) + "\nspec: {verifiers: [*a7, *a7]}\n"), "expands to more than 100,000 values"),
    ("an alias to nothing", text("a: *nowhere\n"), "not valid YAML: found undefined alias"),
    ("an alias to itself (a cycle)", text("a: &a [*a]\n"), "expands to more than 100,000 values"),
    # size and depth
    ("over 1.5 MiB in a comment", text(VALID + "# " + "x" * MAX_BYTES + "\n"), "a manifest may hold at most 1,572,864"),
    ("over 1.5 MiB in one value", setting("metadata.labels", {"big": "x" * MAX_BYTES}), "a manifest may hold at most 1,572,864"),
    ("lists nested 20,000 deep", text("a: " + "[" * 20_000 + "]" * 20_000 + "\n"), "nested deeper than 100 levels"),
    ("flow mappings nested 150 deep", text("a: " + "{a: " * 150 + "1" + "}" * 150 + "\n"), "nested deeper than 100 levels"),
    ("block mappings nested 150 deep", text("".join(" " * i + f"k{i}:\n" for i in range(150)) + " " * 150 + "v\n"), "nested deeper than 100 levels"),
    ("options nested 150 deep", replaced("    options:\n", "    options:\n      x: " + "[" * 150 + "]" * 150 + "\n"), "nested deeper than 100 levels"),
    # encodings and characters
    ("a Latin-1 byte in the name", raw(VALID.encode().replace(b"name: shoppingbench-dev", b"name: shoppingb\xe9nch", 1)), "not UTF-8 (byte 0xe9"),
    ("a UTF-16 file", raw(b"\xff\xfe" + VALID.encode("utf-16-le")), "not UTF-8 (byte 0xff"),
    ("a Windows-1252 quote", raw(VALID.encode() + b"# \x93quoted\x94\n"), "not UTF-8 (byte 0x93"),
    ("a NUL byte in the file", raw(VALID.encode() + b"x: a\x00b\n"), "not valid YAML"),
    ("a bell character in a value", raw(VALID.encode() + b"x: a\x07b\n"), "not valid YAML"),
    ("an escaped NUL in the name", setting("metadata.name", "a\x00b"), "metadata.name: must be a DNS-1123 subdomain"),
    ("a Cyrillic o in the name", setting("metadata.name", "shoppingbench-d\u0435v"), "metadata.name: must be a DNS-1123 subdomain"),
    ("a right-to-left override in the name", setting("metadata.name", "a\u202eb"), "metadata.name: must be a DNS-1123 subdomain"),
    # duplicate keys
    ("spec given twice", text(VALID + "spec: {}\n"), "duplicate key 'spec'"),
    ("metadata.name given twice", replaced("  name: shoppingbench-dev\n", "  name: shoppingbench-dev\n  name: other\n"), "duplicate key 'name'"),
    ("profile.k given twice", replaced("    k: 4\n", "    k: 4\n    k: 1000\n"), "duplicate key 'k'"),
    ("a key given twice, once quoted", replaced("    k: 4\n", "    k: 4\n    \"k\": 1000\n"), "duplicate key 'k'"),
    # YAML that is not a Frontier
    ("a python object tag", text("!!python/object/apply:os.system ['echo pwned']\n"), "not valid YAML: could not determine a constructor"),
    ("a custom tag", text(VALID + "x: !Ref other\n"), "not valid YAML: could not determine a constructor"),
    ("a tab for indentation", replaced("    k: 4\n", "\tk: 4\n"), "not valid YAML"),
    ("an unclosed flow list", text(VALID + "x: [a, b\n"), "not valid YAML"),
    ("an unclosed quote", text(VALID + 'x: "never closed\n'), "not valid YAML"),
    ("an empty file", text(""), "expected exactly one Frontier"),
    ("only comments", text("# nothing here\n"), "expected exactly one Frontier"),
    ("two Frontiers", text(VALID + "---\n" + VALID), "expected exactly one Frontier"),
    ("a list for a document", text("- a\n- b\n"), "expected exactly one Frontier"),
    ("a bare string for a document", text("just text\n"), "expected exactly one Frontier"),
    ("a ConfigMap instead", text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"), "expected exactly one Frontier"),
    # numbers
    ("k of 1e999", setting("spec.profile.k", float("inf")), "spec.profile.k"),
    ("k of .nan", replaced("    k: 4\n", "    k: .nan\n"), "spec.admission.k: Input should be a valid integer"),
    ("k of -.inf", replaced("    k: 4\n", "    k: -.inf\n"), "spec.admission.k: Input should be a valid integer"),
    ("k of 10**30", setting("spec.profile.k", 10**30), "spec.profile.k"),
    ("k of -1", setting("spec.profile.k", -1), "spec.profile.k"),
    ("k of true", setting("spec.profile.k", True), "spec.profile.k: Input should be a valid integer"),
    ("k of '3'", setting("spec.profile.k", "3"), "spec.profile.k: Input should be a valid integer"),
    ("k of 3.0", setting("spec.profile.k", 3.0), "spec.profile.k: Input should be a valid integer"),
    ("a band edge of NaN", setting("spec.bands.saturatedAbove", float("nan")), "spec.bands"),
    # names and shapes
    ("a path for a name", setting("metadata.name", "../../etc/passwd"), "metadata.name: must be a DNS-1123 subdomain"),
    ("SQL for a name", setting("metadata.name", "x'); DROP TABLE rollouts;--"), "metadata.name: must be a DNS-1123 subdomain"),
    ("an upper-case name", setting("metadata.name", "Upper-Case"), "metadata.name: must be a DNS-1123 subdomain"),
    ("a name of 254 characters", setting("metadata.name", "a" * 254), "metadata.name: must be a DNS-1123 subdomain"),
    ("a name starting with a dash", setting("metadata.name", "-x"), "metadata.name: must be a DNS-1123 subdomain"),
    ("an empty name", setting("metadata.name", ""), "metadata.name"),
    ("a date for a name", replaced("  name: shoppingbench-dev\n", "  name: 2024-01-01\n"), "metadata.name"),
    ("yes for a name", replaced("  name: shoppingbench-dev\n", "  name: yes\n"), "metadata.name"),
    ("a namespace with a dot", setting("metadata.namespace", "team.a"), "metadata.namespace: must be a DNS-1123 label"),
    ("a namespace of 64 characters", setting("metadata.namespace", "a" * 64), "metadata.namespace: must be a DNS-1123 label"),
    ("an apiVersion of 100,000 characters", setting("apiVersion", "v" * 100_000), "(100002 characters)"),
    ("a list for kind", setting("kind", ["Frontier"]), "expected exactly one Frontier document, found 0"),
    ("a list for metadata.labels", setting("metadata.labels", ["a"]), "metadata.labels"),
    ("a string for spec", setting("spec", "everything"), "spec"),
    ("a misspelt spec field", setting("spec.profil", {"k": 2}), "spec.profil"),
    ("onError: ignore", setting("spec.benchmark.source.onError", "ignore"), "spec.benchmark.source.onError"),
    ("a task path for a task source", setting("spec.benchmark.source.paths", "tasks/*.jsonl"), "spec.benchmark.source.paths"),
]  # fmt: skip


def test_the_corpus_holds_at_least_fifty_distinct_manifests() -> None:
    assert len(HOSTILE) >= 50
    assert len({name for name, _, _ in HOSTILE}) == len(HOSTILE)


@pytest.mark.parametrize(("case", "build", "message"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_a_hostile_manifest_is_refused_in_a_few_lines_and_nothing_is_written(
    tmp_path: Path, case: str, build: Callable[[], str | bytes], message: str
) -> None:
    content = build()
    path = tmp_path / "frontier.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    db = tmp_path / "f.db"
    result = CliRunner().invoke(app, ["run", "-f", str(path), "--db", f"sqlite:///{db}"])
    assert result.exit_code == 2, result.output
    assert message in result.stderr, result.stderr
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert 1 <= len(lines) <= 4 and all(len(line) < 1000 for line in lines), lines
    assert str(path) in result.stderr
    assert not list(tmp_path.glob("f.db*")), "a database was created"
