"""Candidates may be rejected as injection: task text aimed at the grader or the model's instructions.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BEFORE = (
    "ungrounded",
    "duplicate",
    "near_duplicate",
    "malformed",
    "saturated",
    "unreachable",
    "insufficient_rollouts",
    "predicted_saturated",
)
AFTER = (*BEFORE, "injection")


def _reason_check(values: tuple[str, ...]) -> str:
    return f"reason IS NULL OR reason IN ({', '.join(repr(v) for v in values)})"


def _replace(values: tuple[str, ...]) -> None:
    with op.batch_alter_table("candidates") as batch:
        batch.drop_constraint(op.f("ck_candidates_reason"), type_="check")
        batch.create_check_constraint(op.f("ck_candidates_reason"), _reason_check(values))


def upgrade() -> None:
    _replace(AFTER)


def downgrade() -> None:
    op.execute("DELETE FROM candidates WHERE reason = 'injection'")
    _replace(BEFORE)
