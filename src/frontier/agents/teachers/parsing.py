"""Reading a teacher model's answer: tolerant extraction, then strict validation.

Endpoints without structured outputs wrap JSON in prose, code fences or
reasoning blocks; extraction forgives that. What it extracts must still pass
the pydantic schema, and anything that does not is reported, never guessed at.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

_THINK = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)
_FENCE = re.compile(r"```(?:json|JSON)?\s*\n?(.*?)```", re.DOTALL)
_MAX_STARTS = 50


class CandidateRecord(BaseModel):
    """One proposed task: the motif it applies and the benchmark record it produces."""

    model_config = ConfigDict(extra="ignore")

    motif: str = Field(min_length=1)
    record: dict[str, Any]
    rationale: str = ""


class TeacherAnswer(BaseModel):
    model_config = ConfigDict(extra="ignore")

    candidates: list[CandidateRecord]


def teacher_answer_schema() -> dict[str, Any]:
    return TeacherAnswer.model_json_schema()


def extract_json_object(text: str, prefer_key: str | None = None) -> dict[str, Any]:
    """The first JSON object in `text`, after dropping <think> blocks and code fences.

    With `prefer_key`, the first object holding that key wins over earlier ones
    (a model may quote an example record before its answer). Raises ValueError
    saying what was wrong when there is no object at all.
    """
    cleaned = _THINK.sub("", text).strip()
    candidates = [m.group(1) for m in _FENCE.finditer(cleaned)] + [cleaned]
    decoder = json.JSONDecoder()
    last_error = "no '{' found"
    first: dict[str, Any] | None = None
    for chunk in candidates:
        start = chunk.find("{")
        tries = 0
        while start != -1 and tries < _MAX_STARTS:
            tries += 1
            try:
                value, end = decoder.raw_decode(chunk, start)
            except json.JSONDecodeError as exc:
                last_error = f"{exc.msg} at position {exc.pos}"
                start = chunk.find("{", start + 1)
                continue
            if isinstance(value, dict):
                if prefer_key is None or prefer_key in value:
                    return value
                first = first if first is not None else value
            start = chunk.find("{", end)
    if first is not None:
        return first
    raise ValueError(f"the answer holds no JSON object ({last_error})")
