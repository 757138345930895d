"""Traces and rollouts: what every agent records, and the two ways a rollout ends.

A rollout is either graded (status "ok", a reward from the benchmark's
verifier, even when the model never answered) or a harness error (status
"error" with its cause and no reward). Building both here keeps every agent
honest in the same way, and `TracedEpisode` records each tool call (name,
arguments, result, error flag, duration) whoever drives the episode.
"""

from __future__ import annotations

import time
from typing import Any

from frontier.domain.interfaces import Benchmark, Episode, ToolOutcome, ToolSchema
from frontier.domain.tasks import FinalAnswer, Grade, Rollout, Task

RESULT_LIMIT = 20_000
"""Tool results longer than this are truncated in the trace (the agent still saw all of it)."""


def _clip(text: str, limit: int = RESULT_LIMIT) -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + f"... [{len(text) - limit} more characters]"


class TracedEpisode:
    """An Episode that records every tool call made through it."""

    def __init__(self, episode: Episode) -> None:
        self.inner = episode
        self.task: Task = episode.task
        self.tool_calls: list[dict[str, Any]] = []
        self.finished = False

    def system_prompt(self) -> str:
        return self.inner.system_prompt()

    def user_prompt(self) -> str:
        return self.inner.user_prompt()

    def tools(self) -> list[ToolSchema]:
        return self.inner.tools()

    def answer(self) -> FinalAnswer | None:
        return self.inner.answer()

    async def call(self, name: str, arguments: dict[str, Any]) -> ToolOutcome:
        started = time.perf_counter()
        record: dict[str, Any] = {"name": name, "arguments": arguments}
        self.tool_calls.append(record)
        try:
            outcome = await self.inner.call(name, arguments)
        except BaseException as exc:
            record.update(
                result=f"{type(exc).__name__}: {exc}",
                is_error=True,
                raised=True,
                duration_seconds=time.perf_counter() - started,
            )
            raise
        record.update(
            result=_clip(outcome.content),
            is_error=outcome.is_error,
            final=outcome.final,
            duration_seconds=time.perf_counter() - started,
        )
        if outcome.final:
            self.finished = True
        return outcome

    def record_rejected(self, name: str, raw_arguments: str, reason: str) -> None:
        """A call the agent refused before it reached the episode (malformed, unknown tool)."""
        self.tool_calls.append(
            {
                "name": name,
                "arguments_raw": _clip(raw_arguments),
                "result": reason,
                "is_error": True,
                "malformed": True,
                "duration_seconds": 0.0,
            }
        )


def grade_summary(grade: Grade) -> dict[str, Any]:
    """The grade's evidence for the trace: each check and the names of the failed ones."""
    return {
        "checks": [check.model_dump(mode="json") for check in grade.checks],
        "failed_checks": [check.name for check in grade.checks if not check.passed],
        "grade_details": grade.details,
    }


def grade_episode(
    benchmark: Benchmark, task: Task, episode: Episode
) -> tuple[FinalAnswer | None, Grade]:
    answer = episode.answer()
    return answer, benchmark.grade(task, answer)


def graded_rollout(
    task: Task,
    attempt: int,
    answer: FinalAnswer | None,
    grade: Grade,
    trace: dict[str, Any],
    *,
    wall_seconds: float,
    input_tokens: int = 0,
    output_tokens: int = 0,
    cost_usd: float = 0.0,
) -> Rollout:
    trace = {
        **trace,
        "answered": answer is not None,
        "answer": answer.content if answer is not None else None,
        **grade_summary(grade),
        "wall_seconds": wall_seconds,
    }
    return Rollout(
        task_id=task.id,
        attempt=attempt,
        status="ok",
        reward=grade.reward,
        success=grade.success,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cost_usd=cost_usd,
        latency_seconds=wall_seconds,
        trace=trace,
    )


def error_rollout(
    task: Task,
    attempt: int,
    cause: str,
    trace: dict[str, Any] | None = None,
    *,
    wall_seconds: float = 0.0,
    input_tokens: int = 0,
    output_tokens: int = 0,
    cost_usd: float = 0.0,
) -> Rollout:
    """A harness failure: status "error", the cause, no reward and no success."""
    return Rollout(
        task_id=task.id,
        attempt=attempt,
        status="error",
        reward=None,
        success=None,
        error=cause,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cost_usd=cost_usd,
        latency_seconds=wall_seconds,
        trace={**(trace or {}), "error": cause, "wall_seconds": wall_seconds},
    )
