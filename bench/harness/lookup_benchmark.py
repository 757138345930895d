"""The JSONL benchmark on examples/jsonl with one extra tool, so each episode is a tool-using one.

The real JsonlBenchmark loads the tasks and grades the answers with
examples/jsonl/verifier.py; its episode only has the final `answer` tool, so a
rollout would be a single chat call. The benchmark adds a `lookup` tool the
scripted model calls first (its result is a fixed note), which makes every
rollout two chat calls: a tool call and its result, then the final answer --
the same dialogue Inspect plays in inspect_runner.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from frontier.benchmarks.jsonl import JsonlBenchmark
from frontier.benchmarks.jsonl.episode import JsonlEpisode
from frontier.domain.interfaces import ToolOutcome, ToolSchema

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "jsonl"
TASKS = EXAMPLE / "tasks.jsonl"
LOOKUP_TOOL: ToolSchema = {
    "type": "function",
    "function": {
        "name": "lookup",
        "description": "Look a key up in the reference notes.",
        "parameters": {
            "type": "object",
            "properties": {"key": {"type": "string", "description": "What to look up."}},
            "required": ["key"],
        },
    },
}


def lookup_note(key: str) -> str:
    """The lookup tool's result (shared text with inspect_runner.py)."""
    return f"Notes for {key!r}: check your arithmetic, then answer."


class LookupEpisode(JsonlEpisode):
    def tools(self) -> list[ToolSchema]:
        return [LOOKUP_TOOL, *super().tools()]

    async def call(self, name: str, arguments: dict[str, Any]) -> ToolOutcome:
        if name == "lookup":
            key = arguments.get("key")
            if not isinstance(key, str):
                return ToolOutcome(content='"key" must be a string', is_error=True)
            return ToolOutcome(content=lookup_note(key))
        return await super().call(name, arguments)


class LookupBenchmark(JsonlBenchmark):
    """JsonlBenchmark whose episodes also offer `lookup`."""

    def episode(self, task: Any) -> LookupEpisode:
        return LookupEpisode(task, self.system)


def load() -> tuple[LookupBenchmark, list[Any]]:
    """The benchmark with the example's verifier, and the example's tasks."""
    benchmark = LookupBenchmark({"verifier": f"{EXAMPLE / 'verifier.py'}:verify"})
    tasks = benchmark.load([str(TASKS)]).tasks
    if not tasks:
        raise SystemExit(f"{TASKS}: no tasks")
    return benchmark, tasks
