"""rule_exceptions, bureau_parameters: the authority's discretion (issue 17)

An exception to a softened rule (原则上、一般) for one project, with its written
reason; a value an authority sets for a parameter the text leaves open (坡头
第十二条 政府采购限额), with the document that sets it. Both rows of the
authority's own tenant, under forced RLS like every tenant table.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from libs.common.db.rls import disable_tenant_rls, enable_tenant_rls

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSONB = postgresql.JSONB(astext_type=sa.Text())


def upgrade() -> None:
    op.create_table(
        "rule_exceptions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("project_name", sa.String(length=200), nullable=False),
        sa.Column("pack_id", sa.String(length=100), nullable=False),
        sa.Column("rule", sa.String(length=200), nullable=False),
        sa.Column("article", sa.String(length=100), nullable=False),
        sa.Column("authority", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("granted_on", sa.Date(), nullable=False),
        sa.Column("granted_by", _JSONB, nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.String(length=6), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rule_exceptions")),
        sa.UniqueConstraint(
            "tenant_id",
            "project_id",
            "rule",
            name=op.f("uq_rule_exceptions_tenant_id_project_id_rule"),
        ),
        schema="approval",
    )
    op.create_index(
        op.f("ix_rule_exceptions_project_id"),
        "rule_exceptions",
        ["project_id"],
        unique=False,
        schema="approval",
    )
    op.create_index(
        op.f("ix_rule_exceptions_tenant_id"),
        "rule_exceptions",
        ["tenant_id"],
        unique=False,
        schema="approval",
    )
    enable_tenant_rls("approval", "rule_exceptions")

    op.create_table(
        "bureau_parameters",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("value", _JSONB, nullable=False),
        sa.Column("document", sa.String(length=200), nullable=False),
        sa.Column("document_date", sa.Date(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("set_by", _JSONB, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.String(length=6), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bureau_parameters")),
        sa.UniqueConstraint(
            "tenant_id",
            "name",
            "effective_from",
            name=op.f("uq_bureau_parameters_tenant_id_name_effective_from"),
        ),
        schema="approval",
    )
    op.create_index(
        op.f("ix_bureau_parameters_tenant_id"),
        "bureau_parameters",
        ["tenant_id"],
        unique=False,
        schema="approval",
    )
    enable_tenant_rls("approval", "bureau_parameters")


def downgrade() -> None:
    disable_tenant_rls("approval", "bureau_parameters")
    op.drop_table("bureau_parameters", schema="approval")
    disable_tenant_rls("approval", "rule_exceptions")
    op.drop_table("rule_exceptions", schema="approval")
