"""A generic JSON Lines benchmark: single-turn tasks graded by a user-supplied verifier.

It proves the Benchmark interface is not ShoppingBench-shaped: any JSONL file of
prompts plus a verifier function or command is a benchmark the loop can profile.

Task lines are JSON objects; `prompt` (a non-empty string) is what the model
sees, `family` (optional, default "default") groups tasks, and every other
field (for example `answer`, the reference) goes to the verifier only.

Options: verifier ("module:function" or "file.py:function") or verifier_command
(a string or argv list), exactly one; verifier_timeout (s, commands, default 30);
verifier_cwd (commands); prompt_field ("prompt"), family_field ("family"),
reference_field ("answer"), choices_field ("choices"); success_threshold (1.0:
success when the verifier gives no `success` and the reward reaches it);
system_prompt.

Mutations: none (motifs() is empty). A generic task has no structure a
procedural teacher could move while keeping it grounded; an LLM teacher's
candidates go through parse_candidate and check_grounding (the verifier must
accept the candidate's reference answer and reject an empty one).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from frontier.benchmarks.jsonl.episode import DEFAULT_SYSTEM_PROMPT, JsonlEpisode
from frontier.benchmarks.jsonl.policies import PROFILES, make_policy
from frontier.benchmarks.jsonl.verifiers import (
    PythonVerifier,
    VerifierError,
    make_verifier,
)
from frontier.benchmarks.jsonlines import TaskFileError, read_records
from frontier.domain.interfaces import LoadResult, MutationProposal, ScriptedPolicy
from frontier.domain.tasks import Check, FinalAnswer, Grade, Grounding, Lineage, LoadError, Task

BENCHMARK = "jsonl"


class JsonlBenchmark:
    name = BENCHMARK

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        opts = dict(options or {})
        self.prompt_field = str(opts.get("prompt_field", "prompt"))
        self.family_field = str(opts.get("family_field", "family"))
        self.reference_field = str(opts.get("reference_field", "answer"))
        self.choices_field = str(opts.get("choices_field", "choices"))
        self.success_threshold = float(opts.get("success_threshold", 1.0))
        if not 0.0 < self.success_threshold <= 1.0:
            raise ValueError(
                f"jsonl option success_threshold must be in (0, 1], got {self.success_threshold}"
            )
        self.system = str(opts.get("system_prompt", DEFAULT_SYSTEM_PROMPT))
        self.verifier = make_verifier(opts)

    # ---- tasks -----------------------------------------------------------------
    def _task(self, record: dict[str, Any], lineage: Lineage | None = None) -> Task:
        prompt = record.get(self.prompt_field)
        if not isinstance(prompt, str) or not prompt.strip():
            raise ValueError(f"{self.prompt_field}: missing or not a non-empty string")
        family = record.get(self.family_field, "default")
        if not isinstance(family, str) or not family.strip():
            raise ValueError(f"{self.family_field}: must be a non-empty string")
        return Task.create(BENCHMARK, family, prompt, record, lineage)

    def load(self, paths: Sequence[str], *, on_error: str = "fail") -> LoadResult:
        if on_error not in ("fail", "skip"):
            raise ValueError(f"on_error must be 'fail' or 'skip', got {on_error!r}")
        tasks: list[Task] = []
        errors: list[LoadError] = []
        seen: set[str] = set()
        for path in paths:
            if isinstance(self.verifier, PythonVerifier):
                folder = Path(path).parent
                if folder not in self.verifier.search_dirs:
                    self.verifier.search_dirs.append(folder)
            for line, value in read_records(path):
                if not isinstance(value, LoadError):
                    try:
                        task = self._task(value)
                    except ValueError as exc:
                        value = LoadError(file=str(path), line=line, message=str(exc))
                    else:
                        if task.id not in seen:
                            seen.add(task.id)
                            tasks.append(task)
                        continue
                if on_error == "fail":
                    raise TaskFileError(value)
                errors.append(value)
        return LoadResult(tasks=tasks, errors=errors)

    def prepare(self, tasks: Sequence[Task]) -> None:
        """Nothing to build: the episode needs only the prompt."""

    def episode(self, task: Task) -> JsonlEpisode:
        return JsonlEpisode(task, self.system)

    def export(self, task: Task) -> dict[str, Any]:
        return dict(task.payload)

    # ---- grading ---------------------------------------------------------------
    def grade(self, task: Task, answer: FinalAnswer | None) -> Grade:
        """Ask the verifier; no answer is reward 0 without asking. VerifierError propagates."""
        if answer is None or not isinstance(answer.content.get("answer"), str):
            return Grade(
                reward=0.0,
                success=False,
                checks=[Check(name="answer", passed=False, detail="no answer was given")],
            )
        text = answer.content["answer"]
        verdict = self.verifier(dict(task.payload), text)
        success = (
            verdict.success
            if verdict.success is not None
            else verdict.reward >= self.success_threshold - 1e-12
        )
        checks = verdict.checks or [
            Check(name="verifier", passed=success, detail=f"reward {verdict.reward:g}")
        ]
        return Grade(
            reward=verdict.reward,
            success=success,
            checks=checks,
            details={**verdict.details, "answer": text},
        )

    def gold_answer(self, task: Task) -> FinalAnswer | None:
        """The record's reference answer, when it has one."""
        ref = task.payload.get(self.reference_field)
        return None if ref is None else FinalAnswer(content={"answer": str(ref)})

    def decoy_answer(self, task: Task) -> FinalAnswer:
        """An empty answer: a verifier that accepts it checks nothing."""
        return FinalAnswer(content={"answer": ""})

    # ---- mutation --------------------------------------------------------------
    def motifs(self) -> list[str]:
        return []

    def suggest_motifs(self, task: Task, failed_checks: Sequence[str]) -> list[str]:
        return []

    def mutate(
        self, task: Task, *, motifs: Sequence[str], rng: random.Random, round: int
    ) -> list[MutationProposal]:
        unknown = [m for m in motifs if m not in self.motifs()]
        if unknown:
            raise ValueError(f"jsonl has no mutation motifs; got {', '.join(unknown)}")
        return []

    def parse_candidate(
        self, parent: Task, payload: dict[str, Any], motif: str, round: int
    ) -> Task:
        if not isinstance(payload, dict):
            raise ValueError(f"candidate must be a JSON object, got {type(payload).__name__}")
        lineage = Lineage(
            origin="llm",
            parent_id=parent.id,
            root_id=parent.root_id,
            motif=motif,
            round=round,
            depth=parent.lineage.depth + 1,
        )
        return self._task(payload, lineage)

    def check_grounding(self, task: Task) -> Grounding:
        """Grounded when the verifier accepts the reference answer and rejects an empty one."""
        gold = self.gold_answer(task)
        if gold is None:
            return Grounding(
                grounded=False,
                reason=f"no reference answer ({self.reference_field}) to check the verifier on",
            )
        try:
            if not self.grade(task, gold).success:
                return Grounding(grounded=False, reason="the verifier rejects the reference answer")
            if self.grade(task, self.decoy_answer(task)).success:
                return Grounding(grounded=False, reason="the verifier accepts an empty answer")
        except VerifierError as exc:
            return Grounding(grounded=False, reason=f"verifier error: {exc}")
        return Grounding(grounded=True)

    # ---- baselines -------------------------------------------------------------
    def scripted_policy(self, profile: str) -> ScriptedPolicy:
        return make_policy(profile, self.choices_field)

    def profiles(self) -> list[str]:
        return list(PROFILES)
