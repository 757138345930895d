"""The teacher's tokens and cost are stored per round, parent and attempt at that parent.

Rollouts carried their cost; the LLM teacher's usage was counted in memory and lost.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "teacher_usage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("frontier_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.String(length=64), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(length=63), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("input_tokens", sa.BigInteger(), nullable=False),
        sa.Column("output_tokens", sa.BigInteger(), nullable=False),
        sa.Column("missing_usage", sa.Integer(), nullable=False),
        sa.Column("cost_usd", sa.Double(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["frontier_id"],
            ["frontiers.id"],
            name=op.f("fk_teacher_usage_frontier_id_frontiers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teacher_usage")),
        sa.UniqueConstraint(
            "frontier_id",
            "round",
            "parent_id",
            "attempt",
            name=op.f("uq_teacher_usage_frontier_id_round_parent_id_attempt"),
        ),
    )


def downgrade() -> None:
    op.drop_table("teacher_usage")
