"""check reports keep the checker's name: the report and its PDF print 检测人 as a person, not a login id

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 00:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable: reports made before this release only know the login id, and
    # the print says so (未署名) rather than inventing a name.
    op.add_column(
        "check_reports",
        sa.Column("created_by_name", sa.String(length=200), nullable=True),
        schema="archive",
    )


def downgrade() -> None:
    op.drop_column("check_reports", "created_by_name", schema="archive")
