"""notifications: the 消息中心, its read receipts, recipients and outbound deliveries (issue 20)

Revision ID: 0006
Revises: 0004
Create Date: 2026-12-04 18:05:00

Chained after 0004 on its branch; the trail's 0005 (h-trail) comes first when both merge.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from libs.common.db.rls import disable_tenant_rls, enable_tenant_rls

revision: str = "0006"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_S = "registry"
_TABLES = (
    "notifications",
    "notification_reads",
    "notification_recipients",
    "notification_deliveries",
)


def _tenant() -> sa.Column[str]:
    return sa.Column("tenant_id", sa.String(length=6), nullable=False)


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("audience", sa.String(length=300), nullable=False),
        sa.Column("user_id", sa.String(length=200), nullable=True),
        sa.Column("role", sa.String(length=32), nullable=True),
        sa.Column("unit_id", sa.Uuid(), nullable=True),
        sa.Column("project_id", sa.Uuid(), nullable=True),
        sa.Column("project_name", sa.String(length=200), nullable=True),
        sa.Column("facts", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _tenant(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint(
            "tenant_id",
            "event_id",
            "audience",
            name=op.f("uq_notifications_tenant_id_event_id_audience"),
        ),
        schema=_S,
    )
    op.create_index(
        "ix_notifications_tenant_created",
        "notifications",
        ["tenant_id", "created_at", "id"],
        schema=_S,
    )
    op.create_table(
        "notification_reads",
        sa.Column("notification_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.String(length=200), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
        _tenant(),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            [f"{_S}.notifications.id"],
            name=op.f("fk_notification_reads_notification_id_notifications"),
        ),
        sa.PrimaryKeyConstraint("notification_id", "user_id", name=op.f("pk_notification_reads")),
        schema=_S,
    )
    op.create_table(
        "notification_recipients",
        sa.Column("user_id", sa.String(length=200), nullable=False),
        sa.Column("tenant_id", sa.String(length=6), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("roles", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("unit_id", sa.Uuid(), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "tenant_id", name=op.f("pk_notification_recipients")),
        schema=_S,
    )
    op.create_table(
        "notification_deliveries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("notification_id", sa.Uuid(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        _tenant(),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            [f"{_S}.notifications.id"],
            name=op.f("fk_notification_deliveries_notification_id_notifications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_deliveries")),
        sa.UniqueConstraint(
            "notification_id",
            "channel",
            "address",
            name=op.f("uq_notification_deliveries_notification_id_channel_address"),
        ),
        schema=_S,
    )
    for table in _TABLES:
        op.create_index(op.f(f"ix_{table}_tenant_id"), table, ["tenant_id"], schema=_S)
        enable_tenant_rls(_S, table)


def downgrade() -> None:
    for table in reversed(_TABLES):
        disable_tenant_rls(_S, table)
        op.drop_index(op.f(f"ix_{table}_tenant_id"), table_name=table, schema=_S)
    op.drop_index("ix_notifications_tenant_created", table_name="notifications", schema=_S)
    for table in reversed(_TABLES):
        op.drop_table(table, schema=_S)
