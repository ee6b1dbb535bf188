"""trail events: every platform event about a project, for the auditor (ADR 0011)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 17:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from libs.common.db.rls import disable_tenant_rls, enable_tenant_rls

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "trail_events",
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(length=160), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("tenant_id", sa.String(length=6), nullable=False),
        sa.PrimaryKeyConstraint("event_id", "project_id", name=op.f("pk_trail_events")),
        schema="registry",
    )
    op.create_index(
        "ix_trail_events_project_time",
        "trail_events",
        ["project_id", "occurred_at", "event_id"],
        unique=False,
        schema="registry",
    )
    op.create_index(
        op.f("ix_trail_events_tenant_id"),
        "trail_events",
        ["tenant_id"],
        unique=False,
        schema="registry",
    )
    enable_tenant_rls("registry", "trail_events")


def downgrade() -> None:
    disable_tenant_rls("registry", "trail_events")
    op.drop_index(op.f("ix_trail_events_tenant_id"), table_name="trail_events", schema="registry")
    op.drop_index("ix_trail_events_project_time", table_name="trail_events", schema="registry")
    op.drop_table("trail_events", schema="registry")
