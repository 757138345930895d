"""The LLM teacher: a model proposes task variants as JSON; nothing it says is trusted.

It sees the parent task as the benchmark exports it, a summary of the
solver's failures, and the allowed motifs. Its answer must be JSON matching
`TeacherAnswer` (requested as structured output or JSON mode where the endpoint
has it, parsed tolerantly otherwise) and each record must pass
`benchmark.parse_candidate`. Any answer that fails becomes a proposal rejected
as "malformed" with a detail, and the round goes on. Whether a candidate is
grounded is decided later by `benchmark.check_grounding`, not by the teacher.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import ValidationError

from frontier.agents.endpoint import Endpoint, RequestStats
from frontier.agents.errors import HarnessError
from frontier.agents.teachers.parsing import (
    TeacherAnswer,
    extract_json_object,
    teacher_answer_schema,
)
from frontier.agents.teachers.proposal import MALFORMED, TeacherProposal
from frontier.agents.usage import Usage
from frontier.domain.interfaces import Benchmark
from frontier.domain.lineage import without_lineage_block
from frontier.domain.specs import ModelRef
from frontier.domain.tasks import Task

log = logging.getLogger(__name__)

ResponseFormat = Literal["auto", "json_schema", "json_object", "none"]
_FALLBACK: dict[str, str] = {"json_schema": "json_object", "json_object": "none"}
UNKNOWN_MOTIF = "unknown"

SYSTEM_PROMPT = """You design harder variants of benchmark tasks.
You get a parent task (the benchmark's own JSON record), a summary of how a solver failed it, and \
the mutation motifs you may use. Propose variants that keep the parent's grounded context and move \
its decision boundary in the way the motif says, so a solver that fails for the reasons shown has \
to do better. Every fact in a record must stay checkable against the parent's evidence.

Answer with one JSON object and nothing else:
{"candidates": [{"motif": "<one allowed motif>", "record": {<a full task record in the parent's \
format>}, "rationale": "<one sentence>"}]}"""


class LLMTeacher:
    """Asks an OpenAI-compatible model for candidates; usage and retries accumulate on the teacher."""

    def __init__(
        self,
        benchmark: Benchmark,
        model: ModelRef,
        endpoint: Endpoint,
        *,
        motifs: Sequence[str] = (),
        response_format: ResponseFormat = "auto",
        max_answer_chars: int = 200_000,
    ) -> None:
        if model.provider != "openai" or model.model is None:
            raise ValueError(f"teacher model {model.name!r} must be an OpenAI-compatible model")
        available = benchmark.motifs()
        unknown = [m for m in motifs if m not in available]
        if unknown:
            raise ValueError(
                f"teacher motifs {unknown} are not motifs of {benchmark.name} ({', '.join(available)})"
            )
        self.benchmark = benchmark
        self.model = model
        self.endpoint = endpoint
        self.allowed = list(motifs) or list(available)
        self.format: str = "json_schema" if response_format == "auto" else response_format
        self.auto_format = response_format == "auto"
        self.max_answer_chars = max_answer_chars
        self.usage = Usage()
        self.stats = RequestStats()

    @property
    def cost_usd(self) -> float:
        return self.usage.cost(self.model.pricing)

    def messages(
        self, parent: Task, failed_checks: Sequence[str], n: int, failure_summary: str
    ) -> list[dict[str, Any]]:
        suggested = [
            m for m in self.benchmark.suggest_motifs(parent, failed_checks) if m in self.allowed
        ]
        request = {
            "parent": self.benchmark.export(parent),
            "family": parent.family,
            "failed_checks": list(failed_checks),
            "failure_summary": failure_summary,
            "allowed_motifs": self.allowed,
            "suggested_motifs": suggested,
            "number_of_candidates": n,
        }
        return [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": json.dumps(request, ensure_ascii=False, indent=1)},
        ]

    async def propose(
        self,
        parent: Task,
        failed_checks: Sequence[str],
        n: int,
        rng: random.Random,
        round: int,
        *,
        failure_summary: str = "",
    ) -> list[TeacherProposal]:
        """Up to `n` proposals; raises HarnessError only when the endpoint fails for good."""
        content = await self._ask(self.messages(parent, failed_checks, n, failure_summary))
        return self.parse_answer(parent, content, n, round)

    async def _ask(self, messages: list[dict[str, Any]]) -> str | None:
        while True:
            params: dict[str, Any] = {
                "model": self.model.model,
                "messages": messages,
                "temperature": self.model.temperature,
                "max_tokens": self.model.max_tokens,
            }
            if self.format == "json_schema":
                params["response_format"] = {
                    "type": "json_schema",
                    "json_schema": {"name": "teacher_answer", "schema": teacher_answer_schema()},
                }
            elif self.format == "json_object":
                params["response_format"] = {"type": "json_object"}
            try:
                completion = await self.endpoint.chat(
                    params,
                    timeout=self.model.timeout_seconds,
                    max_retries=self.model.max_retries,
                    stats=self.stats,
                )
            except HarnessError as exc:
                # An endpoint without structured outputs answers 400 (or 422): ask more plainly.
                if self.auto_format and exc.status in (400, 422) and self.format in _FALLBACK:
                    log.info("teacher endpoint refused %s; falling back", self.format)
                    self.format = _FALLBACK[self.format]
                    continue
                raise
            self.usage.add(completion.usage)
            return completion.choices[0].message.content

    def parse_answer(
        self, parent: Task, content: str | None, n: int, round: int
    ) -> list[TeacherProposal]:
        """The proposals in a raw answer; every flaw becomes a `malformed` rejection."""

        def malformed(detail: str, motif: str = UNKNOWN_MOTIF) -> TeacherProposal:
            return TeacherProposal(
                parent_id=parent.id, motif=motif, rejected_reason=MALFORMED, detail=detail
            )

        if not content or not content.strip():
            return [malformed("the teacher's answer is empty")]
        if len(content) > self.max_answer_chars:
            return [
                malformed(
                    f"the teacher's answer has {len(content)} characters, "
                    f"above the cap of {self.max_answer_chars}"
                )
            ]
        try:
            answer = TeacherAnswer.model_validate(extract_json_object(content, "candidates"))
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or '(root)'}: {err['msg']}"
                for err in exc.errors()[:5]
            )
            return [malformed(f"the answer does not match the schema: {problems}")]
        except ValueError as exc:
            return [malformed(str(exc))]
        if not answer.candidates:
            return [malformed("the answer proposes no candidates")]
        if len(answer.candidates) > n:
            log.info(
                "teacher proposed %d candidates, %d asked; extras ignored",
                len(answer.candidates),
                n,
            )
        proposals: list[TeacherProposal] = []
        for candidate in answer.candidates[:n]:
            if candidate.motif not in self.allowed:
                proposals.append(
                    malformed(
                        f"motif {candidate.motif!r} is not allowed ({', '.join(self.allowed)})",
                        motif=candidate.motif,
                    )
                )
                continue
            try:
                # lineage comes from the pipeline alone: a forged block is dropped, not stored
                task = self.benchmark.parse_candidate(
                    parent, without_lineage_block(candidate.record), candidate.motif, round
                )
            except ValueError as exc:
                proposals.append(
                    malformed(f"record rejected by {self.benchmark.name}: {exc}", candidate.motif)
                )
                continue
            if task.lineage.origin != "llm":
                task = task.model_copy(
                    update={"lineage": task.lineage.model_copy(update={"origin": "llm"})}
                )
            proposals.append(
                TeacherProposal(
                    parent_id=parent.id,
                    motif=candidate.motif,
                    task=task,
                    detail=candidate.rationale,
                )
            )
        return proposals
