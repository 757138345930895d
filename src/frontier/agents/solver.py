"""The model solver: an async tool-calling loop over an OpenAI-compatible endpoint.

Each step is one chat completion; the tool calls it makes are played in the
benchmark's episode and their results fed back, until a tool ends the episode
or `maxSteps` runs out. Two protocols: native function calling, and tool calls
written in tags (text_protocol) for servers without a tool parser.

What is whose fault is kept apart: a malformed or unknown tool call is the
model's and goes back to it as a tool error (counted in the trace); running out
of steps is the model's (graded as it stands, usually with no answer); an
endpoint that stays down, a retry budget spent, or an environment that raised
is the harness's (a Rollout with status "error" and the cause).
"""

from __future__ import annotations

import json
import time
from typing import Any

from frontier.agents.endpoint import Endpoint, RequestStats
from frontier.agents.errors import HarnessError
from frontier.agents.text_protocol import parse_calls, tool_response, tools_prompt
from frontier.agents.tracing import TracedEpisode, error_rollout, grade_episode, graded_rollout
from frontier.agents.usage import Usage
from frontier.domain.interfaces import Benchmark
from frontier.domain.specs import ModelRef
from frontier.domain.tasks import Rollout, Task

NATIVE_NUDGE = (
    "You did not call a tool. Call one of the tools to continue; "
    "give your final answer with the tool meant for it."
)
TEXT_NUDGE = (
    'You did not call a tool. Write a call as <tool_call>{"name": ..., "arguments": {...}}'
    "</tool_call> to continue; give your final answer with the tool meant for it."
)
MODEL_RECOVERABLE = (ValueError, TypeError, KeyError)
"""Exceptions a tool raises on arguments the model got wrong: fed back to the model, counted."""


class OpenAIAgent:
    """A solver on one endpoint; `rollout` plays one attempt and never raises for harness errors."""

    def __init__(self, model: ModelRef, endpoint: Endpoint) -> None:
        if model.provider != "openai" or model.model is None:
            raise ValueError(f"model {model.name!r} is not an OpenAI-compatible model")
        self.model = model
        self.endpoint = endpoint

    async def rollout(self, benchmark: Benchmark, task: Task, attempt: int, seed: int) -> Rollout:
        run = _Run(self.model, self.endpoint)
        return await run.play(benchmark, task, attempt, seed)


class _Run:
    """The state of one rollout: messages, counters, usage."""

    def __init__(self, model: ModelRef, endpoint: Endpoint) -> None:
        self.model = model
        self.endpoint = endpoint
        self.native = model.protocol == "native"
        self.usage = Usage()
        self.stats = RequestStats()
        self.messages: list[dict[str, Any]] = []
        self.counters = {
            "malformed_tool_calls": 0,
            "unknown_tool_calls": 0,
            "tool_exceptions": 0,
            "turns_without_tool_call": 0,
            "truncated_replies": 0,
        }
        self.steps = 0
        self.episode: TracedEpisode | None = None

    def _trace(self, seed: int, attempt: int, stop_reason: str | None) -> dict[str, Any]:
        return {
            "agent": "openai",
            "model": self.model.name,
            "endpoint_model": self.model.model,
            "base_url": self.endpoint.base_url,
            "protocol": self.model.protocol,
            "seed": seed,
            "attempt": attempt,
            "messages": self.messages,
            "tool_calls": self.episode.tool_calls if self.episode is not None else [],
            "steps": self.steps,
            "max_steps": self.model.max_steps,
            "stop_reason": stop_reason,
            **self.counters,
            "usage": self.usage.to_dict(self.model.pricing),
            "retries": self.stats.retries,
            "retry_events": self.stats.events,
            "concurrency_limit": self.endpoint.limiter.limit,
        }

    async def play(self, benchmark: Benchmark, task: Task, attempt: int, seed: int) -> Rollout:
        started = time.perf_counter()
        stop_reason: str | None = None
        try:
            self.episode = TracedEpisode(benchmark.episode(task))
            stop_reason = await self._loop(self.episode)
            answer, grade = grade_episode(benchmark, task, self.episode)
        except HarnessError as exc:
            return self._error(task, attempt, seed, exc.cause, started)
        except Exception as exc:  # the environment or the grader raised: a harness failure
            return self._error(task, attempt, seed, f"{type(exc).__name__}: {exc}", started)
        wall = time.perf_counter() - started
        trace = self.endpoint.redact(self._trace(seed, attempt, stop_reason))
        return graded_rollout(
            task,
            attempt,
            answer,
            grade,
            trace,
            wall_seconds=wall,
            input_tokens=self.usage.input_tokens,
            output_tokens=self.usage.output_tokens,
            cost_usd=self.usage.cost(self.model.pricing),
        )

    def _error(self, task: Task, attempt: int, seed: int, cause: str, started: float) -> Rollout:
        cause = self.endpoint.redact(cause)
        return error_rollout(
            task,
            attempt,
            cause,
            self.endpoint.redact(self._trace(seed, attempt, "harness_error")),
            wall_seconds=time.perf_counter() - started,
            input_tokens=self.usage.input_tokens,
            output_tokens=self.usage.output_tokens,
            cost_usd=self.usage.cost(self.model.pricing),
        )

    async def _loop(self, episode: TracedEpisode) -> str:
        tools = episode.tools()
        names = {str(tool.get("function", tool).get("name")) for tool in tools}
        system = episode.system_prompt()
        if not self.native:
            system = f"{system}\n\n{tools_prompt(tools)}"
        self.messages.append({"role": "system", "content": system})
        self.messages.append({"role": "user", "content": episode.user_prompt()})
        while self.steps < self.model.max_steps:
            self.steps += 1
            params: dict[str, Any] = {
                "model": self.model.model,
                "messages": self.messages,
                "temperature": self.model.temperature,
                "max_tokens": self.model.max_tokens,
            }
            if self.native and tools:
                params["tools"] = tools
            completion = await self.endpoint.chat(
                params,
                timeout=self.model.timeout_seconds,
                max_retries=self.model.max_retries,
                stats=self.stats,
            )
            self.usage.add(completion.usage)
            choice = completion.choices[0]
            if choice.finish_reason == "length":
                self.counters["truncated_replies"] += 1
            if self.native:
                await self._native_turn(episode, names, choice.message)
            else:
                await self._text_turn(episode, names, choice.message.content)
            if episode.finished:
                return "final"
        return "max_steps"

    async def _native_turn(self, episode: TracedEpisode, names: set[str], message: Any) -> None:
        calls = list(message.tool_calls or [])
        entry: dict[str, Any] = {"role": "assistant", "content": message.content}
        if calls:
            entry["tool_calls"] = [
                {
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.function.name, "arguments": call.function.arguments},
                }
                for call in calls
            ]
        self.messages.append(entry)
        if not calls:
            self.counters["turns_without_tool_call"] += 1
            self.messages.append({"role": "user", "content": NATIVE_NUDGE})
            return
        for call in calls:
            name, raw = call.function.name, call.function.arguments or ""
            arguments, problem = _decode_arguments(name, raw)
            if problem is not None:
                content, _ = self._reject(episode, name, raw, problem, "malformed_tool_calls")
            else:
                content, _ = await self._invoke(episode, names, name, arguments, raw)
            self.messages.append({"role": "tool", "tool_call_id": call.id, "content": content})
            if episode.finished:
                return

    async def _text_turn(
        self, episode: TracedEpisode, names: set[str], content: str | None
    ) -> None:
        self.messages.append({"role": "assistant", "content": content or ""})
        calls = parse_calls(content)
        if not calls:
            self.counters["turns_without_tool_call"] += 1
            self.messages.append({"role": "user", "content": TEXT_NUDGE})
            return
        responses: list[str] = []
        for call in calls:
            if call.error is not None:
                result, is_error = self._reject(
                    episode, call.name or "?", call.raw, call.error, "malformed_tool_calls"
                )
            else:
                result, is_error = await self._invoke(
                    episode, names, call.name, call.arguments, call.raw
                )
            responses.append(tool_response(call.name or "?", result, is_error))
            if episode.finished:
                break
        self.messages.append({"role": "user", "content": "\n".join(responses)})

    def _reject(
        self, episode: TracedEpisode, name: str, raw: str, problem: str, counter: str
    ) -> tuple[str, bool]:
        self.counters[counter] += 1
        message = f"Error: {problem}. Call the tool again with valid JSON arguments."
        episode.record_rejected(name, raw, message)
        return message, True

    async def _invoke(
        self,
        episode: TracedEpisode,
        names: set[str],
        name: str,
        arguments: dict[str, Any],
        raw: str,
    ) -> tuple[str, bool]:
        if name not in names:
            self.counters["unknown_tool_calls"] += 1
            message = (
                f"Error: there is no tool named {name!r}; the tools are {', '.join(sorted(names))}."
            )
            episode.record_rejected(name, raw, message)
            return message, True
        try:
            outcome = await episode.call(name, arguments)
        except MODEL_RECOVERABLE as exc:
            self.counters["tool_exceptions"] += 1
            return f"Error: {name} rejected its arguments: {type(exc).__name__}: {exc}", True
        except Exception as exc:
            raise HarnessError(f"tool {name} failed: {type(exc).__name__}: {exc}") from exc
        return outcome.content, outcome.is_error


def _decode_arguments(name: str, raw: str) -> tuple[dict[str, Any], str | None]:
    if not raw.strip():
        return {}, None
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        return {}, f"the arguments of {name} are not valid JSON ({exc.msg} at position {exc.pos})"
    if not isinstance(value, dict):
        return {}, f"the arguments of {name} must be a JSON object, not {type(value).__name__}"
    return value, None
