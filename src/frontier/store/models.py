"""The database schema as SQLAlchemy 2 typed models: the one definition Alembic migrations mirror.

Callers never see these classes: the repository (`frontier.store.repository`)
speaks domain types and plain records. The schema is written so the two hot
paths stay cheap on both backends: rollouts are keyed by (run, task, attempt),
which makes a retried shard an upsert instead of a duplicate; banding reads one
`rollout_sums` row per task (kept by ingest), and a covering index (run, status,
task, reward) lets per-task means and those sums read only the rollouts' index.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from frontier.domain.admission import Reason

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

RUN_KINDS = ("profile", "verification", "candidates", "placement")
ROLLOUT_STATUSES = ("ok", "error")
DECISIONS = ("admitted", "rejected", "pending")
REJECTION_REASONS = tuple(reason.value for reason in Reason)
"""The domain's closed set; a new reason also needs a migration (tests/store/test_migrate.py
compares the migrated schema with these models)."""
SHARD_STATUSES = ("running", "done", "failed")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on both backends (SQLite drops the zone; this restores it)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads this class attribute
        dict[str, Any]: JSON,
        list[Any]: JSON,
        datetime: UTCDateTime,
        float: Double,
        str: String(255),
    }


class FrontierRow(Base):
    __tablename__ = "frontiers"
    __table_args__ = (UniqueConstraint("namespace", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    namespace: Mapped[str] = mapped_column(String(253))
    name: Mapped[str] = mapped_column(String(253))
    spec: Mapped[dict[str, Any]]
    generation: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class TaskRow(Base):
    """A task of one frontier; `seq` keeps the order tasks were added in."""

    __tablename__ = "tasks"
    __table_args__ = (
        UniqueConstraint("frontier_id", "id"),
        Index(None, "frontier_id", "origin", "round"),
        CheckConstraint(_in("origin", ("base", "procedural", "llm")), name="origin"),
    )

    seq: Mapped[int] = mapped_column(primary_key=True)
    frontier_id: Mapped[int] = mapped_column(ForeignKey("frontiers.id", ondelete="CASCADE"))
    id: Mapped[str] = mapped_column(String(64))
    benchmark: Mapped[str] = mapped_column(String(128))
    family: Mapped[str] = mapped_column(String(128))
    query: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]]
    parent_id: Mapped[str | None] = mapped_column(String(64))
    root_id: Mapped[str | None] = mapped_column(String(64))  # None: the task is its own root
    motif: Mapped[str | None] = mapped_column(String(128))
    round: Mapped[int] = mapped_column(Integer)
    depth: Mapped[int] = mapped_column(Integer)
    origin: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]


class RunRow(Base):
    """k rollouts of one model over one task set. `model_spec` holds references only, never keys."""

    __tablename__ = "runs"
    __table_args__ = (
        UniqueConstraint("name"),
        Index(None, "frontier_id", "kind"),
        CheckConstraint(_in("kind", RUN_KINDS), name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(253))
    frontier_id: Mapped[int] = mapped_column(ForeignKey("frontiers.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    model_name: Mapped[str] = mapped_column(String(63))
    model_spec: Mapped[dict[str, Any]]
    task_set: Mapped[dict[str, Any]]
    k: Mapped[int] = mapped_column(Integer)
    shards: Mapped[int] = mapped_column(Integer)
    seed: Mapped[int] = mapped_column(BigInteger)
    phase: Mapped[str] = mapped_column(String(32))
    stats: Mapped[dict[str, Any]]
    concurrency_history: Mapped[list[Any]]
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    plan: Mapped[dict[str, Any] | None]
    """A placement run's adaptive test (calibration version, stopping rule); else null."""
    prior: Mapped[list[Any] | None]
    """A posterior-rule run's fitted prior (grid weights, domain.sampling.Prior); else null:
    the run bands by the observed mean."""


class RolloutRow(Base):
    """One attempt; the primary key (run, task, attempt) makes a retried shard overwrite itself."""

    __tablename__ = "rollouts"
    __table_args__ = (
        # Covers per-task means and sums (WHERE run_id = ? AND status = 'ok' ... GROUP BY task_id).
        Index("ix_rollouts_band", "run_id", "status", "task_id", "reward"),
        CheckConstraint(_in("status", ROLLOUT_STATUSES), name="status"),
        CheckConstraint("attempt >= 0", name="attempt"),
    )

    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    task_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    attempt: Mapped[int] = mapped_column(Integer, primary_key=True)
    model: Mapped[str] = mapped_column(String(63))
    status: Mapped[str] = mapped_column(String(8))
    reward: Mapped[float | None]
    success: Mapped[bool | None] = mapped_column(Boolean)
    error: Mapped[str | None] = mapped_column(Text)
    input_tokens: Mapped[int] = mapped_column(BigInteger)
    output_tokens: Mapped[int] = mapped_column(BigInteger)
    cost_usd: Mapped[float]
    latency_seconds: Mapped[float]
    trace: Mapped[dict[str, Any]]
    recorded_at: Mapped[datetime]


class RolloutSumRow(Base):
    """A task's rollouts in one run, summed: what banding reads instead of the rollouts.

    Kept current by `ingest_rollouts` in the transaction that writes the rollouts, by
    recomputing the touched tasks' sums from their stored rows (never by adding deltas),
    so a replayed or overwritten attempt counts once and the sums equal a full scan.
    """

    __tablename__ = "rollout_sums"
    __table_args__ = (
        # Covers band_counts (WHERE run_id = ? AND n_ok > 0, reward_sum / n_ok): index-only.
        Index("ix_rollout_sums_band", "run_id", "n_ok", "reward_sum"),
    )

    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    task_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    n_ok: Mapped[int] = mapped_column(Integer)
    """Rollouts scored (status ok with a reward): the mean's denominator."""
    n_error: Mapped[int] = mapped_column(Integer)
    """The rest: errored attempts (and ok rows without a reward)."""
    successes: Mapped[int] = mapped_column(Integer)
    reward_sum: Mapped[float]
    """Sum of the scored rollouts' rewards (0 when there are none)."""


class AttemptFailureRow(Base):
    """An attempt that ended in a harness error, kept when a later wave replays the attempt.

    The rollout row of a replayed attempt is overwritten; this keeps its cause, its
    retries and the tokens it was billed for, so totals and cost count every attempt.
    """

    __tablename__ = "attempt_failures"
    # the same failure stored twice (a batch re-sent after a lost commit) is one record
    __table_args__ = (UniqueConstraint("run_id", "fingerprint"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    task_id: Mapped[str] = mapped_column(String(64))
    attempt: Mapped[int] = mapped_column(Integer)
    fingerprint: Mapped[str] = mapped_column(String(32))
    error: Mapped[str | None] = mapped_column(Text)
    retries: Mapped[int] = mapped_column(Integer)
    input_tokens: Mapped[int] = mapped_column(BigInteger)
    output_tokens: Mapped[int] = mapped_column(BigInteger)
    cost_usd: Mapped[float]
    recorded_at: Mapped[datetime]


class CandidateRow(Base):
    """A teacher's proposal in one round and what became of it; a rejection always has a reason."""

    __tablename__ = "candidates"
    __table_args__ = (
        UniqueConstraint("frontier_id", "round", "task_id"),
        Index(None, "frontier_id", "decision"),
        CheckConstraint(_in("decision", DECISIONS), name="decision"),
        CheckConstraint(f"reason IS NULL OR {_in('reason', REJECTION_REASONS)}", name="reason"),
        CheckConstraint(
            "(decision = 'rejected' AND reason IS NOT NULL)"
            " OR (decision <> 'rejected' AND reason IS NULL)",
            name="reason_iff_rejected",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    frontier_id: Mapped[int] = mapped_column(ForeignKey("frontiers.id", ondelete="CASCADE"))
    round: Mapped[int] = mapped_column(Integer)
    task_id: Mapped[str] = mapped_column(String(64))
    parent_id: Mapped[str | None] = mapped_column(String(64))
    motif: Mapped[str | None] = mapped_column(String(128))
    origin: Mapped[str] = mapped_column(String(16))
    decision: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(Text)
    mean_reward: Mapped[float | None]
    rollouts_spent: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]


class RoundRow(Base):
    __tablename__ = "rounds"
    __table_args__ = (UniqueConstraint("frontier_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    frontier_id: Mapped[int] = mapped_column(ForeignKey("frontiers.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    trigger: Mapped[str] = mapped_column(String(128))
    from_slice_version: Mapped[int | None] = mapped_column(Integer)
    phase: Mapped[str] = mapped_column(String(32))
    stats: Mapped[dict[str, Any]]
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    # the teacher endpoint's limit changes while mutating (a run's own history is on runs)
    concurrency_history: Mapped[list[Any]] = mapped_column(server_default=text("'[]'"))
    # decided once when the teacher starts, so a resumed round mutates the same parents
    parents: Mapped[list[Any] | None]


class TeacherUsageRow(Base):
    """What the teacher spent on one parent of a round, per attempt at that parent.

    A parent redone after a crash or a failed endpoint is a new attempt with its own
    row: the tokens were billed twice, so they count twice. The same attempt stored
    again (a retried write) overwrites its row, so nothing counts double.
    """

    __tablename__ = "teacher_usage"
    __table_args__ = (UniqueConstraint("frontier_id", "round", "parent_id", "attempt"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    frontier_id: Mapped[int] = mapped_column(ForeignKey("frontiers.id", ondelete="CASCADE"))
    round: Mapped[int] = mapped_column(Integer)
    parent_id: Mapped[str] = mapped_column(String(64))
    attempt: Mapped[int] = mapped_column(Integer)
    model: Mapped[str] = mapped_column(String(63))
    requests: Mapped[int] = mapped_column(Integer)
    input_tokens: Mapped[int] = mapped_column(BigInteger)
    output_tokens: Mapped[int] = mapped_column(BigInteger)
    missing_usage: Mapped[int] = mapped_column(Integer)
    cost_usd: Mapped[float]
    recorded_at: Mapped[datetime]


class CalibrationRow(Base):
    """A numbered, immutable calibration of a frontier's item bank (a 2PL fit of every stored
    response); a refit is a new version, so scores placed on an older one stay reproducible."""

    __tablename__ = "calibrations"
    __table_args__ = (
        UniqueConstraint("frontier_id", "version"),
        CheckConstraint("version >= 1", name="version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    frontier_id: Mapped[int] = mapped_column(ForeignKey("frontiers.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    trigger: Mapped[str] = mapped_column(String(253))
    anchor: Mapped[str] = mapped_column(Text)
    library: Mapped[str] = mapped_column(String(64))
    library_version: Mapped[str] = mapped_column(String(64))
    fit: Mapped[dict[str, Any]]
    abilities: Mapped[list[Any]]
    created_at: Mapped[datetime]


class CalibrationItemRow(Base):
    """One task's parameters in one calibration, with their standard errors and its flag."""

    __tablename__ = "calibration_items"

    calibration_id: Mapped[int] = mapped_column(
        ForeignKey("calibrations.id", ondelete="CASCADE"), primary_key=True
    )
    task_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    a: Mapped[float]
    b: Mapped[float]
    a_se: Mapped[float]
    b_se: Mapped[float]
    flag: Mapped[str | None] = mapped_column(String(32))
    n: Mapped[int] = mapped_column(Integer)


class SliceRow(Base):
    """A numbered, immutable slice version; the repository refuses to rewrite one."""

    __tablename__ = "slices"
    __table_args__ = (
        UniqueConstraint("frontier_id", "version"),
        CheckConstraint("version >= 1", name="version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    frontier_id: Mapped[int] = mapped_column(ForeignKey("frontiers.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    parent_version: Mapped[int | None] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)
    stats: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]


class SliceMemberRow(Base):
    __tablename__ = "slice_members"
    __table_args__ = (UniqueConstraint("slice_id", "task_id"),)

    slice_id: Mapped[int] = mapped_column(
        ForeignKey("slices.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[str] = mapped_column(String(64))


class EventRow(Base):
    __tablename__ = "events"
    __table_args__ = (Index(None, "frontier_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    frontier_id: Mapped[int] = mapped_column(ForeignKey("frontiers.id", ondelete="CASCADE"))
    at: Mapped[datetime]
    type: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(128))
    message: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]]


class ShardProgressRow(Base):
    """Which shard of which stage is running, done or failed, so a resumed stage skips done work."""

    __tablename__ = "shard_progress"
    __table_args__ = (
        UniqueConstraint("frontier_id", "stage", "scope", "shard"),
        CheckConstraint(_in("status", SHARD_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    frontier_id: Mapped[int] = mapped_column(ForeignKey("frontiers.id", ondelete="CASCADE"))
    stage: Mapped[str] = mapped_column(String(64))
    scope: Mapped[str] = mapped_column(String(253))
    shard: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer)
    detail: Mapped[dict[str, Any]]
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
