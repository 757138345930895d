"""Calibrations of a frontier's item bank: numbered, immutable 2PL fits with their items.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "calibrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("frontier_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("trigger", sa.String(length=253), nullable=False),
        sa.Column("anchor", sa.Text(), nullable=False),
        sa.Column("library", sa.String(length=64), nullable=False),
        sa.Column("library_version", sa.String(length=64), nullable=False),
        sa.Column("fit", sa.JSON(), nullable=False),
        sa.Column("abilities", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("version >= 1", name=op.f("ck_calibrations_version")),
        sa.ForeignKeyConstraint(
            ["frontier_id"],
            ["frontiers.id"],
            name=op.f("fk_calibrations_frontier_id_frontiers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calibrations")),
        sa.UniqueConstraint(
            "frontier_id", "version", name=op.f("uq_calibrations_frontier_id_version")
        ),
    )
    op.create_table(
        "calibration_items",
        sa.Column("calibration_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.String(length=64), nullable=False),
        sa.Column("a", sa.Double(), nullable=False),
        sa.Column("b", sa.Double(), nullable=False),
        sa.Column("a_se", sa.Double(), nullable=False),
        sa.Column("b_se", sa.Double(), nullable=False),
        sa.Column("flag", sa.String(length=32), nullable=True),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["calibration_id"],
            ["calibrations.id"],
            name=op.f("fk_calibration_items_calibration_id_calibrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("calibration_id", "task_id", name=op.f("pk_calibration_items")),
    )


def downgrade() -> None:
    op.drop_table("calibration_items")
    op.drop_table("calibrations")
