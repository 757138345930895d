"""The contracts between adapters: a benchmark, its episodes, and the agents that play them.

They live in the domain so that agents and benchmarks, which are siblings in the
layering, meet here without importing each other.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from frontier.domain.tasks import FinalAnswer, Grade, Grounding, LoadError, Task

ToolSchema = dict[str, Any]
"""An OpenAI function-calling tool: {"type": "function", "function": {name, description, parameters}}."""


class ToolOutcome(BaseModel):
    """The result of one tool call as the agent sees it."""

    model_config = ConfigDict(frozen=True)

    content: str
    is_error: bool = False
    final: bool = Field(
        False, description="The episode is over (an answer was given or the agent quit)."
    )


class LoadResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    tasks: list[Task]
    errors: list[LoadError] = Field(default_factory=list)


class MutationProposal(BaseModel):
    """A candidate task proposed from a parent, with the motif that produced it."""

    model_config = ConfigDict(frozen=True)

    task: Task
    motif: str
    note: str = ""


@runtime_checkable
class Episode(Protocol):
    """One agent's attempt at one task: the prompts, the tools, and the answer it gave."""

    task: Task

    def system_prompt(self) -> str: ...

    def user_prompt(self) -> str: ...

    def tools(self) -> list[ToolSchema]: ...

    async def call(self, name: str, arguments: dict[str, Any]) -> ToolOutcome: ...

    def answer(self) -> FinalAnswer | None: ...


class ScriptedPolicy(Protocol):
    """A benchmark's model-free baseline: plays an episode through its tools only.

    It sees the task's query and the structured request the query states
    (never the gold answer); `rng` makes the k attempts differ.
    """

    async def play(self, episode: Episode, rng: random.Random) -> None: ...


@runtime_checkable
class Benchmark(Protocol):
    """A benchmark plugin, found through the `frontier.benchmarks` entry-point group."""

    name: str

    def load(self, paths: Sequence[str], *, on_error: str = "fail") -> LoadResult: ...

    def prepare(self, tasks: Sequence[Task]) -> None:
        """Build whatever the episodes need (an embedded catalog) for these tasks."""
        ...

    def episode(self, task: Task) -> Episode: ...

    def grade(self, task: Task, answer: FinalAnswer | None) -> Grade: ...

    def motifs(self) -> list[str]: ...

    def mutate(
        self, task: Task, *, motifs: Sequence[str], rng: random.Random, round: int
    ) -> list[MutationProposal]: ...

    def suggest_motifs(self, task: Task, failed_checks: Sequence[str]) -> list[str]:
        """Motifs that target what the solver failed (check names from its grades)."""
        ...

    def check_grounding(self, task: Task) -> Grounding: ...

    def parse_candidate(
        self, parent: Task, payload: dict[str, Any], motif: str, round: int
    ) -> Task:
        """Turn a teacher's proposed record into a task (raises ValueError when malformed)."""
        ...

    def export(self, task: Task) -> dict[str, Any]: ...

    def scripted_policy(self, profile: str) -> ScriptedPolicy: ...

    def profiles(self) -> list[str]: ...
