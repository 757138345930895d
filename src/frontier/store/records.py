"""Plain, immutable records the repository returns, so callers never hold ORM objects or sessions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, NamedTuple

from frontier.domain.admission import Decision, Reason
from frontier.domain.irt import Calibration
from frontier.domain.runs import RunTotals

RunKind = Literal["profile", "verification", "candidates", "placement"]
CandidateDecision = Literal["admitted", "rejected", "pending"]
ShardStatus = Literal["running", "done", "failed"]
EventType = Literal["Normal", "Warning"]


@dataclass(frozen=True)
class FrontierRecord:
    namespace: str
    name: str
    spec: dict[str, Any]
    generation: int
    created_at: datetime
    updated_at: datetime

    @property
    def key(self) -> str:
        """The `namespace/name` string every Store method accepts as `frontier`."""
        return f"{self.namespace}/{self.name}"


class ConcurrencyChange(NamedTuple):
    """A change of an endpoint's request concurrency, at the (aware) time it happened."""

    at: datetime
    concurrency: int
    reason: str = ""


@dataclass(frozen=True)
class RunRecord:
    name: str
    frontier: str
    kind: RunKind
    model_name: str
    model_spec: dict[str, Any]
    task_set: dict[str, Any]
    k: int
    shards: int
    seed: int
    phase: str
    stats: dict[str, Any]
    concurrency_history: list[dict[str, Any]]
    created_at: datetime
    finished_at: datetime | None
    plan: dict[str, Any] | None = None
    """A placement run's adaptive test (domain.placement.PlacementPlan on the wire)."""
    prior: list[float] | None = None
    """A posterior-rule run's fitted prior (domain.sampling.Prior on the wire): its bands
    are domain.sampling.decided_band under it. None: bands by the observed mean."""


class TaskMean(NamedTuple):
    """A task's mean reward over its ok rollouts (None if every rollout errored), and the counts."""

    mean_reward: float | None
    n_ok: int
    n_error: int


@dataclass(frozen=True)
class CandidateOutcome:
    """The decision for one candidate, as `Store.decide_candidates` takes it."""

    task_id: str
    decision: Decision
    mean_reward: float | None = None
    rollouts_spent: int = 0


@dataclass(frozen=True)
class CandidateRecord:
    round: int
    task_id: str
    parent_id: str | None
    motif: str | None
    origin: str
    decision: CandidateDecision
    reason: Reason | None
    detail: str
    mean_reward: float | None
    rollouts_spent: int
    created_at: datetime
    decided_at: datetime | None


@dataclass(frozen=True)
class CandidateCounts:
    generated: int = 0
    admitted: int = 0
    rejected: int = 0
    pending: int = 0
    by_reason: dict[str, int] = field(default_factory=dict)
    rollouts_spent: int = 0

    @property
    def admission_yield(self) -> float:
        return self.admitted / self.generated if self.generated else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "generated": self.generated,
            "admitted": self.admitted,
            "rejected": self.rejected,
            "pending": self.pending,
            "byReason": dict(self.by_reason),
            "rolloutsSpent": self.rollouts_spent,
            "admissionYield": self.admission_yield,
        }


@dataclass(frozen=True)
class RoundRecord:
    number: int
    trigger: str
    from_slice_version: int | None
    phase: str
    stats: dict[str, Any]
    started_at: datetime
    finished_at: datetime | None
    concurrency_history: list[dict[str, Any]] = field(default_factory=list)
    """The teacher endpoint's concurrency changes while it proposed this round's candidates."""
    parents: tuple[str, ...] | None = None
    """The parents chosen when the teacher started (None until then)."""


@dataclass(frozen=True)
class TeacherSpend:
    """What a teacher spent on one parent: its requests, tokens and their price in USD."""

    model: str
    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    missing_usage: int = 0
    """Replies that carried no usage numbers (their tokens are unknown, not zero)."""
    cost_usd: float = 0.0


@dataclass(frozen=True)
class TeacherUsageRecord:
    """The teacher's spend on one parent of a round, in one attempt at that parent."""

    round: int
    parent_id: str
    attempt: int
    spend: TeacherSpend
    recorded_at: datetime


@dataclass(frozen=True)
class SliceRecord:
    version: int
    parent_version: int | None
    task_ids: tuple[str, ...]
    stats: dict[str, Any]
    created_at: datetime

    @property
    def size(self) -> int:
        return len(self.task_ids)


@dataclass(frozen=True)
class EventRecord:
    at: datetime
    type: EventType
    reason: str
    message: str
    data: dict[str, Any]


@dataclass(frozen=True)
class ShardRecord:
    stage: str
    scope: str
    shard: int
    status: ShardStatus
    attempts: int
    detail: dict[str, Any]
    started_at: datetime
    finished_at: datetime | None


@dataclass(frozen=True)
class RunSummary:
    name: str
    kind: RunKind
    model_name: str
    phase: str
    totals: RunTotals
    bands: dict[str, int] | None


@dataclass(frozen=True)
class FrontierSummary:
    """Everything `frontier status` shows, in one read."""

    frontier: FrontierRecord
    tasks_by_origin: dict[str, int]
    runs: list[RunSummary]
    rounds: list[RoundRecord]
    slices: list[tuple[int, int]]
    """(version, size) of every slice version, oldest first."""
    candidates: CandidateCounts
    recent_events: list[EventRecord]

    def as_dict(self) -> dict[str, Any]:
        return {
            "frontier": self.frontier.key,
            "generation": self.frontier.generation,
            "tasks": dict(self.tasks_by_origin),
            "runs": [
                {
                    "name": r.name,
                    "kind": r.kind,
                    "model": r.model_name,
                    "phase": r.phase,
                    "totals": r.totals.as_dict(),
                    "bands": r.bands,
                }
                for r in self.runs
            ],
            "rounds": [
                {
                    "number": r.number,
                    "trigger": r.trigger,
                    "phase": r.phase,
                    "stats": r.stats,
                    "startedAt": r.started_at.isoformat(),
                    "finishedAt": r.finished_at.isoformat() if r.finished_at else None,
                }
                for r in self.rounds
            ],
            "slices": [{"version": v, "size": n} for v, n in self.slices],
            "candidates": self.candidates.as_dict(),
            "events": [
                {
                    "at": e.at.isoformat(),
                    "type": e.type,
                    "reason": e.reason,
                    "message": e.message,
                }
                for e in self.recent_events
            ],
        }


@dataclass(frozen=True)
class NewCandidate:
    """A teacher's proposal as `Store.record_candidates` takes it; `decision` set if screening decided."""

    task_id: str
    parent_id: str | None = None
    motif: str | None = None
    origin: str = "procedural"
    decision: Decision | None = None


@dataclass(frozen=True)
class CalibrationRecord:
    """A stored calibration: its version, when and why it was fitted, and the fit."""

    version: int
    created_at: datetime
    trigger: str
    calibration: Calibration


@dataclass(frozen=True)
class ResponseCell:
    """One model's graded rollouts of one task, over every run: successes out of trials."""

    model: str
    task_id: str
    successes: int
    trials: int
