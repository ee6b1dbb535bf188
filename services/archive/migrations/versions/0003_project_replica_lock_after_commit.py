"""project replica, idempotency keys, lock after commit, packages without a stored copy

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 14:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from libs.common.db.rls import disable_tenant_rls, enable_tenant_rls

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "projects",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("unit_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.String(length=6), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_projects")),
        schema="archive",
    )
    op.create_index(
        op.f("ix_projects_tenant_id"), "projects", ["tenant_id"], unique=False, schema="archive"
    )
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
        schema="archive",
    )
    for table in ("projects", "idempotency_keys"):
        enable_tenant_rls("archive", table)
    op.add_column("documents", sa.Column("unit_id", sa.Uuid(), nullable=True), schema="archive")
    op.add_column(
        "stored_objects",
        sa.Column("hold_requested", sa.Boolean(), server_default=sa.false(), nullable=False),
        schema="archive",
    )
    op.add_column(
        "stored_objects",
        sa.Column("locked_at", sa.DateTime(timezone=True), nullable=True),
        schema="archive",
    )
    # Everything written before was locked before its row: it is locked now.
    op.execute(
        "UPDATE archive.stored_objects SET locked_at = created_at, hold_requested = legal_hold "
        "WHERE retention_mode IS NOT NULL"
    )
    op.alter_column("packages", "object_id", nullable=True, schema="archive")
    op.add_column(
        "packages",
        sa.Column("tag_files", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        schema="archive",
    )
    op.add_column(
        "packages", sa.Column("tar_size", sa.BigInteger(), nullable=True), schema="archive"
    )
    op.add_column(
        "packages", sa.Column("tar_sha256", sa.String(length=64), nullable=True), schema="archive"
    )
    op.add_column(
        "packages", sa.Column("tar_sm3", sa.String(length=64), nullable=True), schema="archive"
    )


def downgrade() -> None:
    for column in ("tar_sm3", "tar_sha256", "tar_size", "tag_files"):
        op.drop_column("packages", column, schema="archive")
    op.alter_column("packages", "object_id", nullable=False, schema="archive")
    op.drop_column("stored_objects", "locked_at", schema="archive")
    op.drop_column("stored_objects", "hold_requested", schema="archive")
    op.drop_column("documents", "unit_id", schema="archive")
    for table in ("idempotency_keys", "projects"):
        disable_tenant_rls("archive", table)
    op.drop_table("idempotency_keys", schema="archive")
    op.drop_index(op.f("ix_projects_tenant_id"), table_name="projects", schema="archive")
    op.drop_table("projects", schema="archive")
