"""A run's fitted prior: posterior-rule runs (decide: posterior) band by it.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ALTER TABLE, no batch mode: on SQLite a batch copy drops and recreates `runs`,
# and the ON DELETE CASCADE of rollouts and rollout_sums would empty them.


def upgrade() -> None:
    # Null for every run so far: they band by the observed mean, as before.
    op.add_column("runs", sa.Column("prior", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("runs", "prior")  # SQLite 3.35+ drops a column in place
