"""Teachers: propose nearby variants of parent tasks, aimed at the solver's failures.

`build_teacher(spec, benchmark, pool=pool)` gives the procedural or the LLM teacher of a
Frontier's TeacherSpec; both return `TeacherProposal`s, accepted or rejected
with a reason.
"""

from __future__ import annotations

from typing import Literal

from frontier.agents.endpoint import EndpointPool
from frontier.agents.teachers.llm import LLMTeacher, ResponseFormat
from frontier.agents.teachers.parsing import CandidateRecord, TeacherAnswer, extract_json_object
from frontier.agents.teachers.procedural import ProceduralTeacher
from frontier.agents.teachers.proposal import MALFORMED, Teacher, TeacherProposal
from frontier.agents.teachers.summary import failed_checks, summarize_failures
from frontier.domain.interfaces import Benchmark
from frontier.domain.specs import TeacherSpec

__all__ = [
    "MALFORMED",
    "CandidateRecord",
    "LLMTeacher",
    "ProceduralTeacher",
    "ResponseFormat",
    "Teacher",
    "TeacherAnswer",
    "TeacherProposal",
    "build_teacher",
    "extract_json_object",
    "failed_checks",
    "summarize_failures",
]


def build_teacher(
    spec: TeacherSpec,
    benchmark: Benchmark,
    *,
    motif_selection: Literal["failure", "random"] = "failure",
    pool: EndpointPool,
) -> Teacher:
    """The teacher a spec asks for.

    Args:
        spec: the Frontier's teacher spec.
        benchmark: the benchmark whose tasks the teacher mutates.
        motif_selection: how the procedural teacher picks a mutation motif.
        pool: one per run; an LLM teacher's endpoint comes from it. The caller owns
            and closes it (it holds the HTTP sessions), so it has no default.
    """
    if spec.kind == "procedural":
        return ProceduralTeacher(benchmark, motifs=spec.motifs, motif_selection=motif_selection)
    if spec.model is None:
        raise ValueError("teacher kind 'llm' needs a model")
    from frontier.agents.base import endpoint_url

    endpoint = pool.get(spec.model, endpoint_url(spec.model))
    return LLMTeacher(benchmark, spec.model, endpoint, motifs=spec.motifs)
