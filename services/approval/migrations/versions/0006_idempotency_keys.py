"""idempotency_keys: Idempotency-Key on every POST of the approval service (issue 15)

A retried change request must not be filed twice nor count twice against the
adjustment limit (潮州 第二十条: 15%); a retried opinion must not decide twice.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 14:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from libs.common.db.rls import disable_tenant_rls, enable_tenant_rls

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("tenant_id", sa.String(length=6), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("location", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "key", name="pk_idempotency_keys"),
        schema="approval",
    )
    enable_tenant_rls("approval", "idempotency_keys")


def downgrade() -> None:
    disable_tenant_rls("approval", "idempotency_keys")
    op.drop_table("idempotency_keys", schema="approval")
