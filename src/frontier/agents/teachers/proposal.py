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
    """A proposed task (`task` set, `rejected_reason` None) or a rejection (the reverse)."""

    model_config = ConfigDict(frozen=True)

    parent_id: str
    motif: str
    task: Task | None = None
    rejected_reason: str | None = None
    detail: str = ""

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
    """Proposes up to `n` variants of `parent`, aimed at the checks the solver failed."""

    async def propose(
        self,
        parent: Task,
        failed_checks: Sequence[str],
        n: int,
        rng: random.Random,
        round: int,
        *,
        failure_summary: str = "",
    ) -> list[TeacherProposal]: ...
