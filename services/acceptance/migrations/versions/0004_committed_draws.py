"""draws: a seed committed before the pool is fixed, one authoritative draw per tenant and year

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 14:30:00

Issue 16 item 10: a caller could choose the seed, the pool and the subset of a
双随机 draw and so steer it. Draws are now committed (the SHA-256 of a server
seed published) before the pool is fixed from the register. Rows drawn the old
way stay readable as ``legacy`` and do not count as the year's draw.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ts = sa.DateTime(timezone=True)


def add(column: sa.Column[Any]) -> None:
    op.add_column("draws", column, schema="acceptance")


def upgrade() -> None:
    add(sa.Column("status", sa.String(length=16), server_default="legacy", nullable=False))
    add(sa.Column("commitment", sa.String(length=64), nullable=True))
    add(sa.Column("count", sa.Integer(), server_default="0", nullable=False))
    add(sa.Column("evaluator_count", sa.Integer(), server_default="0", nullable=False))
    add(sa.Column("committed_by", postgresql.JSONB(astext_type=sa.Text()), nullable=True))
    add(sa.Column("committed_at", _ts, nullable=True))
    op.alter_column("draws", "drawn_by", nullable=True, schema="acceptance")
    op.alter_column("draws", "drawn_at", nullable=True, schema="acceptance")
    # Legacy rows: what they drew is what they counted (no commitment to check).
    op.execute(
        "UPDATE acceptance.draws SET count = jsonb_array_length(projects), "
        "evaluator_count = jsonb_array_length(evaluators)"
    )
    op.create_index(
        "uq_draws_tenant_year",
        "draws",
        ["tenant_id", "year"],
        unique=True,
        schema="acceptance",
        postgresql_where=sa.text("status <> 'legacy'"),
    )


def downgrade() -> None:
    op.drop_index(
        "uq_draws_tenant_year",
        table_name="draws",
        schema="acceptance",
        postgresql_where=sa.text("status <> 'legacy'"),
    )
    # A committed draw not yet made has no draw to keep.
    op.execute("DELETE FROM acceptance.draws WHERE drawn_at IS NULL")
    op.alter_column("draws", "drawn_at", nullable=False, schema="acceptance")
    op.alter_column("draws", "drawn_by", nullable=False, schema="acceptance")
    for column in (
        "committed_at",
        "committed_by",
        "evaluator_count",
        "count",
        "commitment",
        "status",
    ):
        op.drop_column("draws", column, schema="acceptance")
