"""project name and created_at (finance's overview lists projects in one request)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 17:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "projects", sa.Column("name", sa.String(length=200), nullable=True), schema="budget"
    )
    op.add_column(
        "projects",
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        schema="budget",
    )
    op.create_index("ix_projects_created_at_id", "projects", ["created_at", "id"], schema="budget")


def downgrade() -> None:
    op.drop_index("ix_projects_created_at_id", table_name="projects", schema="budget")
    op.drop_column("projects", "created_at", schema="budget")
    op.drop_column("projects", "name", schema="budget")
