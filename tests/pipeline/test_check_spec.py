"""What only the benchmark plugin can judge about a spec (`pipeline.context.check_spec`)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from frontier.domain.manifest import SpecError
from frontier.domain.specs import FrontierSpec
from frontier.pipeline.context import check_spec

VERIFIER = Path(__file__).resolve().parents[2] / "examples" / "jsonl" / "verifier.py"


def spec_for(benchmark: str, options: dict[str, str], **solver: object) -> FrontierSpec:
    return FrontierSpec.model_validate(
        {
            "benchmark": {"name": benchmark, "source": {"paths": ["t.jsonl"]}, "options": options},
            "solver": {"name": "s", **solver},
        }
    )


def test_a_skill_on_a_benchmark_without_skill_levels_is_refused_naming_the_field() -> None:
    spec = spec_for("jsonl", {"verifier": f"{VERIFIER}:verify"}, skill=0.3)
    with pytest.raises(
        SpecError, match=re.escape("spec.solver.skill: jsonl offers no skill levels")
    ):
        check_spec(spec, "f.yaml")


def test_a_skill_on_shoppingbench_passes_the_check() -> None:
    assert check_spec(spec_for("shoppingbench", {}, skill=0.3), "f.yaml").name == "shoppingbench"
