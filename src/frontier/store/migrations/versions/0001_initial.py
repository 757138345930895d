"""Initial schema: frontiers, tasks, runs, rollouts, candidates, rounds, slices, events, shard progress.

Revision ID: 0001
Revises:
Create Date: 2026-01-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "frontiers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("namespace", sa.String(length=253), nullable=False),
        sa.Column("name", sa.String(length=253), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_frontiers")),
        sa.UniqueConstraint("namespace", "name", name=op.f("uq_frontiers_namespace_name")),
    )
    op.create_table(
        "candidates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("frontier_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.String(length=64), nullable=False),
        sa.Column("parent_id", sa.String(length=64), nullable=True),
        sa.Column("motif", sa.String(length=128), nullable=True),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("mean_reward", sa.Double(), nullable=True),
        sa.Column("rollouts_spent", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(decision = 'rejected' AND reason IS NOT NULL) OR (decision <> 'rejected' AND reason IS NULL)",
            name=op.f("ck_candidates_reason_iff_rejected"),
        ),
        sa.CheckConstraint(
            "decision IN ('admitted', 'rejected', 'pending')", name=op.f("ck_candidates_decision")
        ),
        sa.CheckConstraint(
            "reason IS NULL OR reason IN ('ungrounded', 'duplicate', 'near_duplicate', 'malformed', 'saturated', 'unreachable', 'insufficient_rollouts')",
            name=op.f("ck_candidates_reason"),
        ),
        sa.ForeignKeyConstraint(
            ["frontier_id"],
            ["frontiers.id"],
            name=op.f("fk_candidates_frontier_id_frontiers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_candidates")),
        sa.UniqueConstraint(
            "frontier_id", "round", "task_id", name=op.f("uq_candidates_frontier_id_round_task_id")
        ),
    )
    op.create_index(
        op.f("ix_candidates_frontier_id_decision"),
        "candidates",
        ["frontier_id", "decision"],
        unique=False,
    )

    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("frontier_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=128), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["frontier_id"],
            ["frontiers.id"],
            name=op.f("fk_events_frontier_id_frontiers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    op.create_index(op.f("ix_events_frontier_id_at"), "events", ["frontier_id", "at"], unique=False)

    op.create_table(
        "rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("frontier_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("trigger", sa.String(length=128), nullable=False),
        sa.Column("from_slice_version", sa.Integer(), nullable=True),
        sa.Column("phase", sa.String(length=32), nullable=False),
        sa.Column("stats", sa.JSON(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["frontier_id"],
            ["frontiers.id"],
            name=op.f("fk_rounds_frontier_id_frontiers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rounds")),
        sa.UniqueConstraint("frontier_id", "number", name=op.f("uq_rounds_frontier_id_number")),
    )
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=253), nullable=False),
        sa.Column("frontier_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("model_name", sa.String(length=63), nullable=False),
        sa.Column("model_spec", sa.JSON(), nullable=False),
        sa.Column("task_set", sa.JSON(), nullable=False),
        sa.Column("k", sa.Integer(), nullable=False),
        sa.Column("shards", sa.Integer(), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("phase", sa.String(length=32), nullable=False),
        sa.Column("stats", sa.JSON(), nullable=False),
        sa.Column("concurrency_history", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "kind IN ('profile', 'verification', 'candidates')", name=op.f("ck_runs_kind")
        ),
        sa.ForeignKeyConstraint(
            ["frontier_id"],
            ["frontiers.id"],
            name=op.f("fk_runs_frontier_id_frontiers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runs")),
        sa.UniqueConstraint("name", name=op.f("uq_runs_name")),
    )
    op.create_index(op.f("ix_runs_frontier_id_kind"), "runs", ["frontier_id", "kind"], unique=False)

    op.create_table(
        "shard_progress",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("frontier_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=64), nullable=False),
        sa.Column("scope", sa.String(length=253), nullable=False),
        sa.Column("shard", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('running', 'done', 'failed')", name=op.f("ck_shard_progress_status")
        ),
        sa.ForeignKeyConstraint(
            ["frontier_id"],
            ["frontiers.id"],
            name=op.f("fk_shard_progress_frontier_id_frontiers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shard_progress")),
        sa.UniqueConstraint(
            "frontier_id",
            "stage",
            "scope",
            "shard",
            name=op.f("uq_shard_progress_frontier_id_stage_scope_shard"),
        ),
    )
    op.create_table(
        "slices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("frontier_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("parent_version", sa.Integer(), nullable=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("stats", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("version >= 1", name=op.f("ck_slices_version")),
        sa.ForeignKeyConstraint(
            ["frontier_id"],
            ["frontiers.id"],
            name=op.f("fk_slices_frontier_id_frontiers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slices")),
        sa.UniqueConstraint("frontier_id", "version", name=op.f("uq_slices_frontier_id_version")),
    )
    op.create_table(
        "tasks",
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("frontier_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("benchmark", sa.String(length=128), nullable=False),
        sa.Column("family", sa.String(length=128), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("parent_id", sa.String(length=64), nullable=True),
        sa.Column("root_id", sa.String(length=64), nullable=True),
        sa.Column("motif", sa.String(length=128), nullable=True),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("depth", sa.Integer(), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("origin IN ('base', 'procedural', 'llm')", name=op.f("ck_tasks_origin")),
        sa.ForeignKeyConstraint(
            ["frontier_id"],
            ["frontiers.id"],
            name=op.f("fk_tasks_frontier_id_frontiers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_tasks")),
        sa.UniqueConstraint("frontier_id", "id", name=op.f("uq_tasks_frontier_id_id")),
    )
    op.create_index(
        op.f("ix_tasks_frontier_id_origin_round"),
        "tasks",
        ["frontier_id", "origin", "round"],
        unique=False,
    )

    op.create_table(
        "rollouts",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.String(length=64), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(length=63), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("reward", sa.Double(), nullable=True),
        sa.Column("success", sa.Boolean(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("input_tokens", sa.BigInteger(), nullable=False),
        sa.Column("output_tokens", sa.BigInteger(), nullable=False),
        sa.Column("cost_usd", sa.Double(), nullable=False),
        sa.Column("latency_seconds", sa.Double(), nullable=False),
        sa.Column("trace", sa.JSON(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('ok', 'error')", name=op.f("ck_rollouts_status")),
        sa.CheckConstraint("attempt >= 0", name=op.f("ck_rollouts_attempt")),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_rollouts_run_id_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("run_id", "task_id", "attempt", name=op.f("pk_rollouts")),
    )
    op.create_index(
        "ix_rollouts_band", "rollouts", ["run_id", "status", "task_id", "reward"], unique=False
    )

    op.create_table(
        "slice_members",
        sa.Column("slice_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["slice_id"],
            ["slices.id"],
            name=op.f("fk_slice_members_slice_id_slices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("slice_id", "position", name=op.f("pk_slice_members")),
        sa.UniqueConstraint("slice_id", "task_id", name=op.f("uq_slice_members_slice_id_task_id")),
    )


def downgrade() -> None:
    op.drop_table("slice_members")
    op.drop_index("ix_rollouts_band", table_name="rollouts")

    op.drop_table("rollouts")
    op.drop_index(op.f("ix_tasks_frontier_id_origin_round"), table_name="tasks")

    op.drop_table("tasks")
    op.drop_table("slices")
    op.drop_table("shard_progress")
    op.drop_index(op.f("ix_runs_frontier_id_kind"), table_name="runs")

    op.drop_table("runs")
    op.drop_table("rounds")
    op.drop_index(op.f("ix_events_frontier_id_at"), table_name="events")

    op.drop_table("events")
    op.drop_index(op.f("ix_candidates_frontier_id_decision"), table_name="candidates")

    op.drop_table("candidates")
    op.drop_table("frontiers")
