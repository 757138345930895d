"""Tasks, their lineage, grades and rollouts: the values every stage passes around.

Tasks are identified by a hash of their content, so the same task loaded twice,
on a laptop or in a Job, is the same row and the same cache key.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Origin = Literal["base", "procedural", "llm"]


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_id(benchmark: str, payload: Any) -> str:
    """A stable id: the first 16 hex digits of SHA-256 over the benchmark name and payload."""
    digest = hashlib.sha256(f"{benchmark}\n{canonical_json(payload)}".encode()).hexdigest()
    return digest[:16]


class Lineage(BaseModel):
    """Where a task came from. A base task is its own root at depth 0."""

    model_config = ConfigDict(frozen=True)

    origin: Origin = "base"
    parent_id: str | None = None
    root_id: str | None = None
    motif: str | None = None
    round: int = Field(0, ge=0)
    depth: int = Field(0, ge=0)


class Task(BaseModel):
    """One benchmark task. `payload` is the benchmark's own record, exported unchanged."""

    model_config = ConfigDict(frozen=True)

    id: str
    benchmark: str
    family: str
    query: str
    payload: dict[str, Any]
    lineage: Lineage = Field(default_factory=Lineage)

    @classmethod
    def create(
        cls,
        benchmark: str,
        family: str,
        query: str,
        payload: dict[str, Any],
        lineage: Lineage | None = None,
    ) -> Task:
        return cls(
            id=content_id(benchmark, payload),
            benchmark=benchmark,
            family=family,
            query=query,
            payload=payload,
            lineage=lineage or Lineage(),
        )

    @property
    def root_id(self) -> str:
        return self.lineage.root_id or self.id


class LoadError(BaseModel):
    """A task line that could not be read; names the file and the line."""

    model_config = ConfigDict(frozen=True)

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class Check(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    passed: bool
    detail: str = ""


class Grade(BaseModel):
    """A verifier's verdict: reward in [0, 1], binary success, and the evidence."""

    model_config = ConfigDict(frozen=True)

    reward: float = Field(ge=0.0, le=1.0)
    success: bool
    checks: list[Check] = Field(default_factory=list)
    details: dict[str, Any] = Field(default_factory=dict)


class FinalAnswer(BaseModel):
    """What an agent submitted. The benchmark decides what `content` holds."""

    model_config = ConfigDict(frozen=True)

    content: dict[str, Any] = Field(default_factory=dict)


class Grounding(BaseModel):
    """Whether a verifier can check a task against evidence, and why not if it cannot."""

    model_config = ConfigDict(frozen=True)

    grounded: bool
    reason: str = ""


RolloutStatus = Literal["ok", "error"]


class Rollout(BaseModel):
    """One attempt of one model on one task. An `error` is a harness failure, never a reward."""

    model_config = ConfigDict(frozen=True)

    task_id: str
    attempt: int = Field(ge=0)
    status: RolloutStatus = "ok"
    reward: float | None = Field(None, ge=0.0, le=1.0)
    success: bool | None = None
    error: str | None = None
    input_tokens: int = Field(0, ge=0)
    output_tokens: int = Field(0, ge=0)
    cost_usd: float = Field(0.0, ge=0.0)
    latency_seconds: float = Field(0.0, ge=0.0)
    trace: dict[str, Any] = Field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == "ok"
