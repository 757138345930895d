"""A single-turn episode: the prompt, and one `answer` tool that ends it."""

from __future__ import annotations

from typing import Any

from frontier.domain.interfaces import ToolOutcome, ToolSchema
from frontier.domain.tasks import FinalAnswer, Task

ANSWER_TOOL: ToolSchema = {
    "type": "function",
    "function": {
        "name": "answer",
        "description": "Give your final answer. The episode ends with this call.",
        "parameters": {
            "type": "object",
            "properties": {"answer": {"type": "string", "description": "Your final answer."}},
            "required": ["answer"],
        },
    },
}
DEFAULT_SYSTEM_PROMPT = (
    "Answer the user's request. Give your final answer by calling the `answer` tool "
    "with the answer text only."
)


class JsonlEpisode:
    def __init__(self, task: Task, system_prompt: str = DEFAULT_SYSTEM_PROMPT) -> None:
        self.task = task
        self._system = system_prompt
        self._answer: str | None = None

    def system_prompt(self) -> str:
        return self._system

    def user_prompt(self) -> str:
        return self.task.query

    def tools(self) -> list[ToolSchema]:
        return [ANSWER_TOOL]

    def answer(self) -> FinalAnswer | None:
        return None if self._answer is None else FinalAnswer(content={"answer": self._answer})

    async def call(self, name: str, arguments: dict[str, Any]) -> ToolOutcome:
        if name != "answer":
            return ToolOutcome(
                content=f"Unknown tool {name!r}; the only tool is answer", is_error=True
            )
        value = arguments.get("answer") if isinstance(arguments, dict) else None
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            return ToolOutcome(
                content='Invalid arguments for answer: "answer" must be a string', is_error=True
            )
        self._answer = value
        return ToolOutcome(content="Answer recorded.", final=True)
