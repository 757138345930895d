"""build_teacher: the teacher a Frontier's TeacherSpec asks for."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from frontier.agents.endpoint import EndpointPool
from frontier.agents.teachers import LLMTeacher, ProceduralTeacher, Teacher, build_teacher
from frontier.domain.specs import ModelRef, TeacherSpec
from tests.agents.toy_benchmark import ToyBenchmark


def test_procedural_spec_gives_the_procedural_teacher_with_its_motifs(
    toy: ToyBenchmark, pool: EndpointPool
) -> None:
    teacher = build_teacher(
        TeacherSpec(motifs=["widen_range"]), toy, motif_selection="random", pool=pool
    )
    assert isinstance(teacher, ProceduralTeacher) and isinstance(teacher, Teacher)
    assert teacher.allowed == ["widen_range"] and teacher.motif_selection == "random"


async def test_llm_spec_gives_an_llm_teacher_on_the_runs_endpoint_pool(
    toy: ToyBenchmark, model_for: Callable[..., ModelRef], pool: EndpointPool
) -> None:
    model = model_for(name="teacher")
    teacher = build_teacher(TeacherSpec(kind="llm", model=model), toy, pool=pool)
    assert isinstance(teacher, LLMTeacher) and isinstance(teacher, Teacher)
    assert teacher.endpoint is pool.get(model)
    assert teacher.allowed == toy.motifs()


def test_unknown_motifs_are_refused_for_either_kind(
    toy: ToyBenchmark, model_for: Callable[..., ModelRef], pool: EndpointPool
) -> None:
    with pytest.raises(ValueError, match="not motifs of toy"):
        build_teacher(TeacherSpec(motifs=["teleport"]), toy, pool=pool)
    with pytest.raises(ValueError, match="not motifs of toy"):
        build_teacher(
            TeacherSpec(kind="llm", model=model_for(), motifs=["teleport"]), toy, pool=pool
        )
