"""official filings: issued documents (立项批复 / 备案确认) waiting to be typeset and filed (issue 18)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 18:10:00
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

_JSONB = postgresql.JSONB(astext_type=sa.Text())


def upgrade() -> None:
    op.create_table(
        "official_filings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("content", _JSONB, nullable=False),
        sa.Column("actor", _JSONB, nullable=False),
        sa.Column("source_event_id", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=True),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("tenant_id", sa.String(length=6), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_official_filings")),
        schema="archive",
    )
    op.create_index(
        op.f("ix_official_filings_project_id"),
        "official_filings",
        ["project_id"],
        unique=False,
        schema="archive",
    )
    op.create_index(
        op.f("ix_official_filings_tenant_id"),
        "official_filings",
        ["tenant_id"],
        unique=False,
        schema="archive",
    )
    enable_tenant_rls("archive", "official_filings")


def downgrade() -> None:
    disable_tenant_rls("archive", "official_filings")
    op.drop_index(
        op.f("ix_official_filings_tenant_id"), table_name="official_filings", schema="archive"
    )
    op.drop_index(
        op.f("ix_official_filings_project_id"), table_name="official_filings", schema="archive"
    )
    op.drop_table("official_filings", schema="archive")
