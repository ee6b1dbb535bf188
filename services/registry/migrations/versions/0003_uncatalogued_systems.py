"""uncatalogued systems of a project

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 00:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "projects",
        sa.Column(
            "uncatalogued_systems",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="[]",
            nullable=False,
        ),
        schema="registry",
    )


def downgrade() -> None:
    op.drop_column("projects", "uncatalogued_systems", schema="registry")
