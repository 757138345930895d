"""A stored run's phases and its typed stats.

A run (a profile, a round's candidates, a verifier's pass over a slice) is written
by `frontier run` in one process and by the operator's Jobs, and read back by the
operator, the report, `frontier status` and the metrics exporter. Its phase and
its stats are plain strings and dicts in the store; naming them once here keeps
every writer and reader in the same words and the same camelCase keys, and reads
a run stored by an older version (a missing key is a default, never a KeyError).

These are the store's phases of a run, not the Kubernetes status of a run
resource (`domain.status.RunPhase`, which also has "Suspended").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from frontier.domain.bands import BandSummary
from frontier.domain.metrics import Interval, SetMetrics
from frontier.domain.placement import PlacementResult


class StoredRunPhase(StrEnum):
    """Where a run is, as the store records it (a str, so stored values compare equal)."""

    PENDING = "Pending"
    RUNNING = "Running"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"

    @property
    def finished(self) -> bool:
        return self in FINISHED_RUN_PHASES


FINISHED_RUN_PHASES = frozenset({StoredRunPhase.SUCCEEDED, StoredRunPhase.FAILED})


@dataclass(frozen=True)
class RunTotals:
    """A run's rollouts as they stand (`rollouts`, `ok`, `errors`) and every attempt made.

    `errored_attempts` counts each attempt that ended in a harness error, including those
    a later wave replayed (`replayed`); tokens and cost include the replayed ones.
    """

    rollouts: int = 0
    ok: int = 0
    errors: int = 0
    tasks: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    latency_seconds: float = 0.0
    errored_attempts: int = 0
    replayed: int = 0
    successes: int = 0
    """Ok rollouts that fully succeeded (the benchmark's binary success)."""

    @property
    def attempted(self) -> int:
        return self.rollouts + self.replayed

    def as_dict(self) -> dict[str, Any]:
        return {
            "attempted": self.attempted,
            "erroredAttempts": self.errored_attempts,
            "replayed": self.replayed,
            "rollouts": self.rollouts,
            "ok": self.ok,
            "successes": self.successes,
            "errors": self.errors,
            "tasks": self.tasks,
            "inputTokens": self.input_tokens,
            "outputTokens": self.output_tokens,
            "costUsd": self.cost_usd,
            "latencySeconds": self.latency_seconds,
        }

    @classmethod
    def from_wire(cls, stored: Mapping[str, Any]) -> RunTotals:
        """Totals as `as_dict` stored them; `attempted` is derived, so it is not read back."""
        return cls(
            rollouts=int(stored.get("rollouts") or 0),
            ok=int(stored.get("ok") or 0),
            errors=int(stored.get("errors") or 0),
            tasks=int(stored.get("tasks") or 0),
            input_tokens=int(stored.get("inputTokens") or 0),
            output_tokens=int(stored.get("outputTokens") or 0),
            cost_usd=float(stored.get("costUsd") or 0.0),
            latency_seconds=float(stored.get("latencySeconds") or 0.0),
            errored_attempts=int(stored.get("erroredAttempts") or 0),
            replayed=int(stored.get("replayed") or 0),
            successes=int(stored.get("successes") or 0),
        )


@dataclass(frozen=True)
class RunStats:
    """A run's outcome as stored with it (camelCase on the wire, like the status).

    A profile or candidates run that finished stores its `bands` and `totals`; a
    verifier's run stores its verdict (`model`, `bands`, `metrics`); a failed run
    stores its `reason`. The store merges each write into the stored stats, so
    `to_wire` writes only what is set and a reader sees every write so far.
    """

    bands: BandSummary | None = None
    totals: RunTotals | None = None
    reason: str | None = None
    """Why the run failed, if it did."""
    model: str | None = None
    """The verifier whose verdict this is (verification runs only)."""
    metrics: SetMetrics | None = None
    """The verifier's pass metrics; None also when it had no tasks to compute them over."""
    placement: PlacementResult | None = None
    """Where a placement run put its model on the item bank (placement runs only)."""

    def to_wire(self) -> dict[str, Any]:
        """The stored form: only the fields set; a verdict always states its metrics."""
        wire: dict[str, Any] = {}
        if self.model is not None:
            wire["model"] = self.model
        if self.bands is not None:
            wire["bands"] = self.bands.as_dict()
        if self.model is not None:
            wire["metrics"] = self.metrics.as_dict() if self.metrics is not None else None
        if self.totals is not None:
            wire["totals"] = self.totals.as_dict()
        if self.reason is not None:
            wire["reason"] = self.reason
        if self.placement is not None:
            wire["placement"] = self.placement.to_wire()
        return wire

    @classmethod
    def from_wire(cls, stored: Mapping[str, Any]) -> RunStats:
        """The stats of a stored run; what it has not recorded (yet) is None."""
        bands, totals, metrics = stored.get("bands"), stored.get("totals"), stored.get("metrics")
        reason, model = stored.get("reason"), stored.get("model")
        placement = stored.get("placement")
        return cls(
            bands=_bands(bands) if isinstance(bands, Mapping) else None,
            totals=RunTotals.from_wire(totals) if isinstance(totals, Mapping) else None,
            reason=str(reason) if reason is not None else None,
            model=str(model) if model is not None else None,
            metrics=_metrics(metrics) if isinstance(metrics, Mapping) else None,
            placement=(
                PlacementResult.from_wire(placement) if isinstance(placement, Mapping) else None
            ),
        )


def _bands(stored: Mapping[str, Any]) -> BandSummary:
    """Band counts as `BandSummary.as_dict` stored them (their `total` is derived)."""
    return BandSummary(
        saturated=int(stored.get("saturated") or 0),
        hillclimbable=int(stored.get("hillclimbable") or 0),
        unreachable=int(stored.get("unreachable") or 0),
    )


def _interval(stored: Any) -> Interval:
    values = stored if isinstance(stored, Mapping) else {}
    return Interval(
        estimate=float(values.get("estimate") or 0.0),
        low=float(values.get("low") or 0.0),
        high=float(values.get("high") or 0.0),
    )


def _metrics(stored: Mapping[str, Any]) -> SetMetrics:
    """Pass metrics as `SetMetrics.as_dict` stored them."""
    return SetMetrics(
        tasks=int(stored.get("tasks") or 0),
        k=int(stored.get("k") or 0),
        mean_reward=_interval(stored.get("meanReward")),
        pass_at_1=_interval(stored.get("passAt1")),
        pass_at_k=_interval(stored.get("passAtK")),
        pass_hat_k=_interval(stored.get("passHatK")),
        best_of_k=_interval(stored.get("bestOfK")),
        errors=int(stored.get("errors") or 0),
    )
