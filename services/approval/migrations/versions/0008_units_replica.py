"""units replica: the registry's 建设单位, named as 主送机关 in the approval document (issue 18)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from libs.common.db.rls import disable_tenant_rls, enable_tenant_rls

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "units",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.String(length=6), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_units")),
        schema="approval",
    )
    op.create_index(
        op.f("ix_units_tenant_id"), "units", ["tenant_id"], unique=False, schema="approval"
    )
    enable_tenant_rls("approval", "units")


def downgrade() -> None:
    disable_tenant_rls("approval", "units")
    op.drop_index(op.f("ix_units_tenant_id"), table_name="units", schema="approval")
    op.drop_table("units", schema="approval")
