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
    """One agent's attempt at one task: the prompts, the tools, and the answer it gave.

    A benchmark makes a fresh episode per attempt (`Benchmark.episode`); the agent
    reads the prompts and tools, calls tools until one returns `final`, then the
    pipeline grades `answer()`.
    """

    task: Task

    def system_prompt(self) -> str:
        """Returns: the system message every model gets for this benchmark."""
        ...

    def user_prompt(self) -> str:
        """Returns: the user message, usually the task's query."""
        ...

    def tools(self) -> list[ToolSchema]:
        """Returns: the OpenAI function-calling schemas of the tools this episode offers."""
        ...

    async def call(self, name: str, arguments: dict[str, Any]) -> ToolOutcome:
        """Run one tool call.

        Args:
            name: the tool's name, as the model wrote it (may be unknown).
            arguments: the parsed JSON arguments (may be wrong).

        Returns: the outcome the model sees. A wrong name or argument is an outcome
        with `is_error=True` whose text says what to fix; `final=True` ends the episode.
        Raises when the environment itself is down: the agents record a harness error
        (never reward 0) and the attempt is replayed.
        """
        ...

    def answer(self) -> FinalAnswer | None:
        """Returns: the answer the agent gave, or None if it gave none (graded as a failure)."""
        ...


class ScriptedPolicy(Protocol):
    """A benchmark's model-free baseline: plays an episode through its tools only.

    It sees the task's query and the structured request the query states
    (never the gold answer); `rng` makes the k attempts differ.
    """

    async def play(self, episode: Episode, rng: random.Random) -> None:
        """Play the episode to its end through `episode.call`.

        Args:
            episode: a fresh episode of one task.
            rng: seeded per (run, task, attempt), so a replayed attempt plays the same.
        """
        ...


@runtime_checkable
class Benchmark(Protocol):
    """A benchmark plugin, found through the `frontier.benchmarks` entry-point group.

    Outside authors implement this (see docs/BENCHMARKS.md). Every method must be
    deterministic for its inputs: a worker Job rebuilds the same state from the store.
    """

    name: str
    """The name specs use (`spec.benchmark.name`) and task ids are hashed with."""

    def load(self, paths: Sequence[str], *, on_error: str = "fail") -> LoadResult:
        """Read task files.

        Args:
            paths: files that exist (globs are resolved by the caller).
            on_error: "fail" raises `TaskFileError` at the first bad line; "skip"
                returns each bad line as a `LoadError` (file and line) and keeps the rest.

        Returns: the tasks (`Task.create`, ids are content hashes) and the skipped lines.
        """
        ...

    def prepare(self, tasks: Sequence[Task]) -> None:
        """Build whatever the episodes need (an embedded catalog) for these tasks.

        Args:
            tasks: tasks to add, called once per round (base tasks first) in the order
                the loop created them; a later call adds to what earlier calls built.
        """
        ...

    def episode(self, task: Task) -> Episode:
        """Returns: a fresh episode of a prepared task."""
        ...

    def grade(self, task: Task, answer: FinalAnswer | None) -> Grade:
        """Grade one answer.

        Args:
            task: the task graded.
            answer: what the agent answered; None is a graded failure (reward 0).

        Returns: reward in [0, 1], binary success and the named checks. Raise when the
        grader itself cannot run: that is a harness error, never a reward of 0.
        """
        ...

    def motifs(self) -> list[str]:
        """Returns: the names of the procedural mutations this benchmark offers ([] if none)."""
        ...

    def mutate(
        self, task: Task, *, motifs: Sequence[str], rng: random.Random, round: int
    ) -> list[MutationProposal]:
        """Propose harder variants of a parent task.

        Args:
            task: the parent.
            motifs: the motifs allowed (a subset of `motifs()`), in preference order.
            rng: seeded per (round, parent), so a redone parent proposes the same.
            round: the round number, recorded in each child's lineage.

        Returns: proposals, each with the motif that made it ([] when none applies).
        """
        ...

    def suggest_motifs(self, task: Task, failed_checks: Sequence[str]) -> list[str]:
        """Motifs that target what the solver failed.

        Args:
            task: the parent.
            failed_checks: names of the checks the solver's answers failed on it.

        Returns: motif names, most useful first.
        """
        ...

    def check_grounding(self, task: Task) -> Grounding:
        """Returns: whether a candidate can be checked against evidence (its answer
        exists, its query states its constraints, it does not give the answer away),
        and if not, why in one line."""
        ...

    def parse_candidate(
        self, parent: Task, payload: dict[str, Any], motif: str, round: int
    ) -> Task:
        """Turn an LLM teacher's proposed record into a task.

        Args:
            parent: the task the teacher was shown.
            payload: the record, in the benchmark's own format (the reserved lineage
                key `_frontier` already removed).
            motif: the motif the teacher says it applied.
            round: the round number, for the child's lineage.

        Returns: the child task. Raises ValueError naming the field when malformed.
        """
        ...

    def export(self, task: Task) -> dict[str, Any]:
        """Returns: the task's record in the benchmark's own format (what `export` writes)."""
        ...

    def scripted_policy(self, profile: str) -> ScriptedPolicy:
        """Returns: the model-free player for one of `profiles()` (the heuristic agent)."""
        ...

    def profiles(self) -> list[str]:
        """Returns: the heuristic profiles, weakest first."""
        ...


@runtime_checkable
class SkilledPolicies(Protocol):
    """Optional for a benchmark plugin: its profiles played at a graded skill.

    The heuristic agent with `ModelRef.skill` set needs it; without it, such a model
    is a configuration error. It lets a laptop run field many subjects of smoothly
    different ability (an item-response calibration panel) without a model server.
    """

    def skilled_policy(self, profile: str, skill: float) -> ScriptedPolicy:
        """Returns: the player of `profile` at `skill` in [0, 1].

        At skill 1 it plays the profile (its own draws may differ from
        `scripted_policy(profile)`); lower skill plays more decision points the weak
        way, each with probability 1 - skill drawn from `play`'s rng, so that a
        stronger player solves roughly a superset of what a weaker one solves.
        """
        ...
