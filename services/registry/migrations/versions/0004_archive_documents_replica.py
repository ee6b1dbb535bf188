"""archive documents replica (disposal evidence of catalog entries)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from libs.common.db.rls import disable_tenant_rls, enable_tenant_rls

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "documents",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.String(length=6), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=True),
        sa.Column("doc_type", sa.String(length=64), nullable=True),
        sa.Column(
            "project_ids",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="[]",
            nullable=False,
        ),
        sa.Column("deleted", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
        schema="registry",
    )
    op.create_index(
        op.f("ix_documents_tenant_id"), "documents", ["tenant_id"], unique=False, schema="registry"
    )
    enable_tenant_rls("registry", "documents")


def downgrade() -> None:
    disable_tenant_rls("registry", "documents")
    op.drop_index(op.f("ix_documents_tenant_id"), table_name="documents", schema="registry")
    op.drop_table("documents", schema="registry")
