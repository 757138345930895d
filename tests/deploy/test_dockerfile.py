"""The image's Dockerfile, checked at lint level (no container runtime here): multi-stage,
the final stage non-root with no compiler or package installer, and the entry point the
chart and the worker Jobs call."""

from __future__ import annotations

import json
from typing import Any

from dockerfile_parse import DockerfileParser

from tests.deploy.support import ROOT

BUILD_TOOLS = ("gcc", "g++", "make", "build-essential", "apt-get install", "pip install")


def instructions() -> list[dict[str, Any]]:
    parser = DockerfileParser(path=str(ROOT / "Dockerfile"))
    return list(parser.structure)


def stages() -> list[list[dict[str, Any]]]:
    out: list[list[dict[str, Any]]] = []
    for instruction in instructions():
        if instruction["instruction"] == "FROM":
            out.append([])
        if out:
            out[-1].append(instruction)
    return out


def final_stage() -> list[dict[str, Any]]:
    return stages()[-1]


def test_the_build_has_several_stages_and_the_final_one_copies_from_the_build() -> None:
    assert len(stages()) >= 2
    copies = [i["value"] for i in final_stage() if i["instruction"] == "COPY"]
    assert any(c.startswith("--from=build ") for c in copies)


def test_final_stage_runs_as_a_numeric_non_root_user() -> None:
    users = [i["value"] for i in final_stage() if i["instruction"] == "USER"]
    assert users, "the final stage sets no USER"
    user = users[-1].split(":")[0]
    assert user.isdigit() and int(user) != 0
    # The chart's and the Job builder's runAsUser.
    assert int(user) == 65532


def test_final_stage_installs_no_build_tools() -> None:
    for instruction in final_stage():
        if instruction["instruction"] == "RUN":
            assert not any(tool in instruction["value"] for tool in BUILD_TOOLS), instruction[
                "value"
            ]


def test_final_stage_removes_the_package_installer() -> None:
    runs = " ".join(i["value"] for i in final_stage() if i["instruction"] == "RUN")
    assert "site-packages/pip" in runs and "/usr/local/bin/pip" in runs


def test_base_images_are_pinned_to_a_version() -> None:
    for stage in stages():
        image = stage[0]["value"].split()[0]
        if image == "scratch":
            continue
        assert ":" in image and not image.endswith(":latest"), image


def test_entrypoint_is_the_frontier_cli_with_the_operator_by_default() -> None:
    entry = [i["value"] for i in final_stage() if i["instruction"] == "ENTRYPOINT"]
    command = [i["value"] for i in final_stage() if i["instruction"] == "CMD"]
    assert json.loads(entry[-1]) == ["frontier"]
    assert json.loads(command[-1])[0] == "operator"


def test_dockerignore_keeps_the_context_to_the_package() -> None:
    lines = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[0] == "**", "start from nothing, then allow what the build copies"
    copied = {
        source
        for stage in stages()
        for i in stage
        if i["instruction"] == "COPY" and not i["value"].startswith("--from")
        for source in i["value"].split()[:-1]
    }
    assert copied == {"pyproject.toml", "README.md", "src"}
    for source in copied:
        assert f"!{source.rstrip('/')}" in {line.rstrip("/") for line in lines}, source
