from __future__ import annotations

from pathlib import Path

import yaml

from frontier.operator.crds import KINDS, render_all, render_files

CRDS = Path(__file__).resolve().parents[2] / "crds"


def test_crd_files_match_the_generator() -> None:
    expected = render_files()
    actual = {p.name: p.read_text() for p in CRDS.glob("*.yaml")}
    stale = sorted(n for n in expected if actual.get(n) != expected[n])
    extra = sorted(set(actual) - set(expected))
    assert not stale and not extra, (
        f"crds/ is out of date (stale {stale}, extra {extra}): run `frontier crds --write crds/`"
    )


def test_kustomization_lists_every_crd_file() -> None:
    kustomization = yaml.safe_load((CRDS / "kustomization.yaml").read_text())
    assert len(kustomization["resources"]) == len(KINDS)
    for name in kustomization["resources"]:
        assert (CRDS / name).is_file()


def test_one_stream_holds_every_kind_once() -> None:
    kinds = [doc["spec"]["names"]["kind"] for doc in yaml.safe_load_all(render_all())]
    assert kinds == list(KINDS)
