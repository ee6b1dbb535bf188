"""projects: a trigram index on the name, for 项目名称包含 search (issue 21)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 20:50:00

The project list's name search is a substring match (``name ILIKE '%…%'``:
Chinese names have no word boundaries). A GIN index with ``pg_trgm``'s
``gin_trgm_ops`` answers it without reading every row, for any query of three
characters or more (shorter ones have no trigram and are read in full, as before).

Guarded: ``pg_trgm`` ships with PostgreSQL's contrib and is a trusted extension
(the database owner, who runs migrations, may create it), but a server without
contrib, or a role without CREATE on the database, cannot have it. There the
migration creates nothing and the search stays a sequential scan: same answers,
slower at scale (docs/benchmarks.md, "Growth"). Downgrade drops the index and
leaves the extension, which other schemas of the database may use.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_S = "registry"
INDEX = "ix_projects_name_trgm"


def _trigram_schema(bind: Connection) -> str | None:
    """The schema holding ``pg_trgm``, creating the extension if it is available and allowed."""
    find = sa.text(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
        "WHERE e.extname = 'pg_trgm'"
    )
    if (schema := bind.scalar(find)) is not None:
        return str(schema)
    available = bind.scalar(
        sa.text("SELECT count(*) FROM pg_available_extensions WHERE name = 'pg_trgm'")
    )
    if not available:
        return None
    try:
        with bind.begin_nested():  # a refusal must not abort the migration's transaction
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except DBAPIError:  # e.g. no CREATE privilege on the database
        return None
    return str(bind.scalar(find))


def upgrade() -> None:
    schema = _trigram_schema(op.get_bind())
    if schema is None:
        return
    # The operator class is named with its schema: the extension may live outside search_path.
    op.execute(f'CREATE INDEX {INDEX} ON {_S}.projects USING gin (name "{schema}".gin_trgm_ops)')


def downgrade() -> None:
    op.execute(f"DROP INDEX IF EXISTS {_S}.{INDEX}")
