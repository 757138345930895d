"""A teacher round's phases, the step each phase calls for, and its typed stats.

A round is driven by two hosts, `frontier run` in one process and the operator as
Jobs; both read the next step from the recorded phase here, so a round resumed by
either continues at the same place, and both describe it in the same words.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class RoundPhase(StrEnum):
    """Where a round is, as the store records it (a str, so stored values compare equal)."""

    PENDING = "Pending"
    RUNNING = "Running"
    """Started, its teacher not yet begun (the phase `start_round` records)."""
    MUTATING = "Mutating"
    ADMITTING = "Admitting"
    """The candidates' rollouts, then the admission decisions and the slice."""
    VERIFYING = "Verifying"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"

    @property
    def finished(self) -> bool:
        return self in (RoundPhase.SUCCEEDED, RoundPhase.FAILED)


FINISHED_PHASES = frozenset({RoundPhase.SUCCEEDED, RoundPhase.FAILED})


class RoundStep(StrEnum):
    """What a round needs next: the work its driver does, in a process or as Jobs."""

    MUTATE = "mutate"
    """The teacher proposes and screens candidates for the round's parents."""
    ROLL_OUT = "roll-out"
    """The solver rolls out the candidates; then they are admitted and a slice retained."""
    VERIFY = "verify"
    """Stronger models verify the slice the round published."""
    DONE = "done"


def next_step(phase: str) -> RoundStep:
    """The step a round in `phase` takes next; an unknown phase is an error, not a guess.

    Args:
        phase: the round's recorded phase.
    Returns:
        The step; DONE for a finished round.
    Raises:
        ValueError: the phase is not a round phase.
    """
    match RoundPhase(phase):
        case RoundPhase.PENDING | RoundPhase.RUNNING | RoundPhase.MUTATING:
            return RoundStep.MUTATE
        case RoundPhase.ADMITTING:
            return RoundStep.ROLL_OUT
        case RoundPhase.VERIFYING:
            return RoundStep.VERIFY
        case RoundPhase.SUCCEEDED | RoundPhase.FAILED:
            return RoundStep.DONE


def needs_verification(verifiers: int, slice_size: int) -> bool:
    """A published slice is verified when the frontier names verifiers and it holds tasks."""
    return verifiers > 0 and slice_size > 0


@dataclass(frozen=True)
class RoundStats:
    """A round's outcome as stored with it (camelCase on the wire, like the status)."""

    generated: int = 0
    admitted: int = 0
    rejected: int = 0
    by_reason: Mapping[str, int] = field(default_factory=dict)
    rollouts_spent: int = 0
    slice_version: int | None = None
    reason: str | None = None
    """Why the round failed, if it did."""

    @property
    def admission_yield(self) -> float:
        return self.admitted / self.generated if self.generated else 0.0

    def to_wire(self) -> dict[str, Any]:
        """The stored form; a failure reason only when there is one."""
        wire: dict[str, Any] = {
            "generated": self.generated,
            "admitted": self.admitted,
            "rejected": self.rejected,
            "byReason": dict(self.by_reason),
            "rolloutsSpent": self.rollouts_spent,
            "admissionYield": self.admission_yield,
            "sliceVersion": self.slice_version,
        }
        if self.reason is not None:
            wire["reason"] = self.reason
        return wire

    @classmethod
    def from_wire(cls, stored: Mapping[str, Any]) -> RoundStats:
        """The stats of a stored round; fields a round has not reached yet are 0 or None."""
        version = stored.get("sliceVersion")
        reason = stored.get("reason")
        return cls(
            generated=int(stored.get("generated") or 0),
            admitted=int(stored.get("admitted") or 0),
            rejected=int(stored.get("rejected") or 0),
            by_reason={str(k): int(v) for k, v in (stored.get("byReason") or {}).items()},
            rollouts_spent=int(stored.get("rolloutsSpent") or 0),
            slice_version=int(version) if version is not None else None,
            reason=str(reason) if reason is not None else None,
        )

    def admitted_text(self) -> str:
        return f"{self.admitted} of {self.generated} candidates admitted"

    def finished_message(self, number: int) -> str:
        """The RoundFinished message, the same from `frontier run` and the operator."""
        return (
            f"round {number}: {self.admitted_text()} ({self.admission_yield:.1%}); "
            f"slice v{self.slice_version}"
        )


def slice_published_message(version: int, size: int, added: int, dropped: int) -> str:
    """The SlicePublished message, the same from `frontier run` and the operator."""
    return f"slice v{version}: {size} tasks ({added} added, {dropped} dropped)"
