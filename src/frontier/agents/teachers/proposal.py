"""What a teacher hands the screening stage: a candidate task, or a recorded rejection.

A teacher never drops a bad idea silently: a proposal it could not turn into a
task is kept with `rejected_reason` (e.g. "malformed") and a detail, so every
rejection in a round has a reason.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, model_validator

from frontier.domain.tasks import Task

MALFORMED = "malformed"


class TeacherProposal(BaseModel):
    """A proposed task (`task` set, `rejected_reason` None) or a rejection (the reverse).

    The screen records a proposal without a task as rejected `malformed` with
    `detail` as its explanation, whatever `rejected_reason` says.
    """

    model_config = ConfigDict(frozen=True)

    parent_id: str
    motif: str
    """The motif applied (recorded with the candidate)."""
    task: Task | None = None
    rejected_reason: str | None = None
    detail: str = ""
    """Why it was rejected (stored as the candidate's detail); with a task, the teacher's
    note on it (not stored)."""

    @model_validator(mode="after")
    def _task_or_reason(self) -> TeacherProposal:
        if (self.task is None) == (self.rejected_reason is None):
            raise ValueError("a proposal has either a task or a rejected_reason")
        return self

    @property
    def accepted(self) -> bool:
        return self.task is not None


@runtime_checkable
class Teacher(Protocol):
    """Proposes variants of a parent task, aimed at the checks the solver failed.

    The mutate stage (`pipeline.mutate`) builds one teacher per shard with
    `build_teacher` from `spec.teacher.kind` (the procedural teacher or the LLM
    teacher; a new kind of teacher is added there, there is no entry point for
    teachers), handing it the screening instance of the benchmark, never the
    one rollouts are played in. It then calls `propose` once per parent, one
    parent after the other, never concurrently (in a cluster each shard is a Job
    of its own, with its own teacher).

    What must hold:

    - Nothing a teacher says is trusted: the screen (`domain.screening`) judges
      every proposed task (injection, grounding through the benchmark,
      duplicates, band prediction) and the candidate's rollouts decide admission.
    - Lineage: make each child with `Benchmark.mutate` or
      `Benchmark.parse_candidate` (or give it
      `domain.lineage.child_lineage(parent, ...)`), so its lineage names
      `parent.id`, the parent's root and `round`. The pipeline stores it as
      given and relies on it: `origin` is recorded as the candidate's origin,
      `root_id` exempts the child's own mutation tree from the near-duplicate
      check, and (`parent_id`, `round`) is how a parent redone after a crash
      finds the tasks its earlier attempt stored.
    - Determinism: `rng` is seeded per (mutation seed, round, parent), so a
      parent redone after a crash gets the same generator; a teacher that draws
      all its randomness from it proposes the same candidates again (the
      procedural teacher does; a model cannot promise it).
    - Spend: the pipeline meters only the built-in `LLMTeacher`, from the
      change of its `usage` across each call (one that raised HarnessError
      too), priced by its model's pricing; any other teacher is stored as
      spending nothing, under the model name "procedural". `spec.budget` is
      checked before each call.
    """

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
        """Propose variants of one parent.

        Args:
            parent: the task to vary: one of the round's parents, a task the
                frontier holds.
            failed_checks: names of the checks the parent's graded rollouts failed,
                by every model that played it (solver and verifiers), most
                frequent first; empty when none failed or none was graded.
            n: `spec.mutation.candidatesPerParent`, the number of tasks wanted.
            rng: the only source of randomness (see Determinism above).
            round: the round number, to record in each child's lineage.
            failure_summary: a few readable lines on those rollouts (rewards,
                failed checks, the last tool calls of a failed attempt) for a
                model's prompt; the procedural teacher ignores it.

        Returns: at most `n` proposals with a task, in the order the screen should
        judge them (a later copy of one screened in is a duplicate), plus any
        number without one. The pipeline screens and records every proposal
        returned, and cuts nothing. A model failure (an answer that is not JSON,
        a record the benchmark rejects, a motif not allowed, an answer too long)
        is a proposal without a task and a `detail` saying what was wrong, never
        an exception: it is recorded as `malformed` and the round goes on. An
        empty list is allowed (the parent is done with no candidates).

        Raises:
            HarnessError: (`frontier.agents.errors`) the machinery failed, not the
                teacher's judgement: the endpoint stayed down or its retries were
                spent. The pipeline records what was billed, marks this parent
                failed and goes on with the next; the shard then raises
                HarnessError naming how many parents failed, and running the
                stage again retries only those. No candidate is rejected for it.
            Exception: anything else stops the shard at once; the parents done
                so far stay done, and this one is redone when the stage runs again.
        """
        ...
