"""The status models of the four custom resources, and Kubernetes-style conditions.

The operator writes only `status`; these models are its shape on the wire (camelCase,
like the specs) and the source of the CRDs' status schemas. They hold summaries only:
band counts, a slice version, progress counters. Rollouts, traces and task lists live
in the store, so a status never outgrows the object size limit.

Conditions follow the Kubernetes API conventions: one entry per type, a CamelCase
reason, and a lastTransitionTime that changes only when the status flips.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.alias_generators import to_camel

ConditionStatus = Literal["True", "False", "Unknown"]
FrontierPhase = Literal[
    "Pending", "Profiling", "Mutating", "Verifying", "Ready", "Invalid", "Failed"
]
RunPhase = Literal["Pending", "Running", "Succeeded", "Failed", "Suspended"]

# Condition types of a Frontier and of a run.
READY = "Ready"
PROGRESSING = "Progressing"
DEGRADED = "Degraded"
SPEC_VALID = "SpecValid"
BUDGET_EXCEEDED = "BudgetExceeded"
"""A Frontier's: True while spec.budget holds its work (abnormal-true, like MemoryPressure)."""

_REASON = re.compile(r"^[A-Z][A-Za-z0-9]*$")


class StatusModel(BaseModel):
    """Base of every status model: camelCase aliases, unknown fields rejected."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
    )

    def to_wire(self) -> dict[str, object]:
        """The camelCase JSON form, omitting unset optional fields."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


def rfc3339(moment: datetime) -> str:
    """A timestamp as Kubernetes writes it: UTC, second precision, trailing Z."""
    if moment.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Condition(StatusModel):
    """One observation of the object's state (Kubernetes metav1.Condition)."""

    type: str = Field(min_length=1, max_length=316)
    status: ConditionStatus
    reason: str = Field(min_length=1, max_length=1024, description="CamelCase, machine-readable.")
    message: str = Field("", max_length=32768, description="Human-readable details.")
    last_transition_time: str = Field(description="When status last changed (RFC 3339).")
    observed_generation: int | None = Field(None, ge=0)

    @field_validator("reason")
    @classmethod
    def _camel_case(cls, value: str) -> str:
        if not _REASON.match(value):
            raise ValueError("must be CamelCase: a capital letter, then letters and digits")
        return value


def set_condition(
    conditions: list[Condition] | tuple[Condition, ...],
    *,
    type: str,
    status: ConditionStatus,
    reason: str,
    message: str = "",
    now: datetime,
    observed_generation: int | None = None,
) -> list[Condition]:
    """The conditions with `type` set; lastTransitionTime moves only when status flips.

    Other types keep their position; a new type is appended.
    """
    previous = next((c for c in conditions if c.type == type), None)
    transition = (
        previous.last_transition_time
        if previous is not None and previous.status == status
        else rfc3339(now)
    )
    updated = Condition(
        type=type,
        status=status,
        reason=reason,
        message=message,
        last_transition_time=transition,
        observed_generation=observed_generation,
    )
    if previous is None:
        return [*conditions, updated]
    return [updated if c.type == type else c for c in conditions]


def find_condition(
    conditions: list[Condition] | tuple[Condition, ...], type: str
) -> Condition | None:
    """The condition of `type`, if any."""
    return next((c for c in conditions if c.type == type), None)


class BandCounts(StatusModel):
    """How many tasks sit in each band (of the current slice, or the base set before one)."""

    saturated: int = Field(0, ge=0)
    hillclimbable: int = Field(0, ge=0)
    unreachable: int = Field(0, ge=0)
    total: int = Field(0, ge=0)


class SaturationEvent(StatusModel):
    """The last time the saturation policy was crossed, and why."""

    time: str = Field(description="RFC 3339.")
    reason: str = Field(min_length=1)


class FrontierStatus(StatusModel):
    """What the operator last observed and decided for a Frontier."""

    phase: FrontierPhase = "Pending"
    observed_generation: int | None = Field(None, ge=0)
    conditions: list[Condition] = Field(default_factory=list)
    bands: BandCounts | None = None
    slice_version: int | None = Field(None, ge=1, description="Current immutable slice version.")
    rounds: int = Field(0, ge=0, description="Mutation rounds started so far.")
    active_round: str | None = Field(None, description="Name of the MutationRound in progress.")
    last_saturation: SaturationEvent | None = None
    solver: str | None = Field(None, description="Name of the solver model profiled.")


class SliceForecastStatus(StatusModel):
    """A placed model's expected pass@1 on one slice version, from the item bank."""

    version: int = Field(ge=1)
    items: int = Field(ge=0, description="The slice's calibrated tasks the forecast averages.")
    expected_pass: float = Field(ge=0.0, le=1.0)


class PlacementStatus(StatusModel):
    """Where a placement put one model on the item bank (the tasks asked are in the store)."""

    model: str
    calibration: int = Field(ge=1, description="The calibration version placed on.")
    theta: float = Field(description="Ability on the calibration's scale.")
    se: float = Field(ge=0.0, description="Its standard error (posterior SD).")
    items_asked: int = Field(ge=0)
    successes: int = Field(ge=0)
    trials: int = Field(ge=0, description="Graded rollouts over the tasks asked.")
    slices: list[SliceForecastStatus] = Field(default_factory=list)


class RunStatus(StatusModel):
    """Progress of a ProfileRun, MutationRound or VerificationRun."""

    phase: RunPhase = "Pending"
    observed_generation: int | None = Field(None, ge=0)
    progress: str | None = Field(None, description="Rollouts done/total, e.g. 120/3600.")
    rollouts_done: int = Field(0, ge=0)
    rollouts_total: int = Field(0, ge=0)
    errors: int = Field(0, ge=0, description="Rollouts that ended in a harness error.")
    shards_succeeded: int = Field(0, ge=0)
    shards_failed: int = Field(0, ge=0)
    conditions: list[Condition] = Field(default_factory=list)
    job_name: str | None = Field(None, description="The worker Job (the first, when several).")
    stage: str | None = Field(
        None, description="The step in progress (a round: Mutating, Admitting, Verifying)."
    )
    bands: BandCounts | None = Field(None, description="Band counts once the run finished.")
    slice_version: int | None = Field(
        None, ge=1, description="The slice version verified or published."
    )
    start_time: str | None = Field(None, description="RFC 3339.")
    completion_time: str | None = Field(None, description="RFC 3339.")
    calibration: int | None = Field(
        None, ge=1, description="The calibration version a placement asks (pinned at its start)."
    )
    placements: list[PlacementStatus] | None = Field(
        None, description="Where each model landed on the item bank (a placement)."
    )


def progress_text(done: int, total: int) -> str:
    """The printer-column form of progress, "done/total"."""
    if done < 0 or total < 0:
        raise ValueError("progress counts must not be negative")
    return f"{done}/{total}"


STATUS_MODELS: dict[str, type[StatusModel]] = {
    "Frontier": FrontierStatus,
    "ProfileRun": RunStatus,
    "MutationRound": RunStatus,
    "VerificationRun": RunStatus,
}
