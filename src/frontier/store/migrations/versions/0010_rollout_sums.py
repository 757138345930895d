"""Per-(run, task) sums of the rollouts, so banding reads one row per task; backfilled.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The rollouts as they stand at this revision (not the models, which may move on).
_rollouts = sa.table(
    "rollouts",
    sa.column("run_id", sa.Integer()),
    sa.column("task_id", sa.String()),
    sa.column("status", sa.String()),
    sa.column("reward", sa.Double()),
    sa.column("success", sa.Boolean()),
)


def upgrade() -> None:
    sums = op.create_table(
        "rollout_sums",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.String(length=64), nullable=False),
        sa.Column("n_ok", sa.Integer(), nullable=False),
        sa.Column("n_error", sa.Integer(), nullable=False),
        sa.Column("successes", sa.Integer(), nullable=False),
        sa.Column("reward_sum", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["runs.id"],
            name=op.f("fk_rollout_sums_run_id_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("run_id", "task_id", name=op.f("pk_rollout_sums")),
    )
    # The same sums ingest_rollouts keeps (store.queries.task_sums_select), for every
    # rollout stored before this revision, so an upgraded database bands as before.
    r = _rollouts.c
    ok = sa.and_(r.status == "ok", r.reward.is_not(None))
    n_ok = sa.func.sum(sa.case((ok, 1), else_=0))
    op.execute(
        sums.insert().from_select(
            ["run_id", "task_id", "n_ok", "n_error", "successes", "reward_sum"],
            sa.select(
                r.run_id,
                r.task_id,
                n_ok,
                sa.func.count() - n_ok,
                sa.func.sum(sa.case((sa.and_(ok, r.success.is_(True)), 1), else_=0)),
                sa.func.coalesce(sa.func.sum(sa.case((ok, r.reward))), 0.0),
            ).group_by(r.run_id, r.task_id),
        )
    )

    op.create_index("ix_rollout_sums_band", "rollout_sums", ["run_id", "n_ok", "reward_sum"])


def downgrade() -> None:
    op.drop_table("rollout_sums")
