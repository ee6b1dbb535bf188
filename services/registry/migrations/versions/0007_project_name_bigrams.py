"""projects: a bigram index of names for 项目名称包含 search, and (name, id) for the name order (issue 21)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 20:50:00

The project list's name search is a substring match (``name ILIKE '%…%'``:
Chinese names have no word boundaries). ``pg_trgm``'s GIN index cannot serve it
here: under forced row-level security PostgreSQL evaluates a query's own
conditions after the policy's, and only leakproof operators may become index
conditions; ``~~*`` (and every trigram, array or full-text operator) is not
leakproof, only ``=`` and ``^@`` on text are. So the index is a table of
equalities: every two-character piece (bigram) of each lower-cased name, kept
by a trigger, looked up with ``gram = …`` (leakproof, indexed), then the
substring test re-checks the few candidates (services/registry/projects/repository.py
``name_contains`` fetches by the query's rarest bigram). Two characters suit Chinese, where most
words are two characters and two-character queries are common; a one-character
query reads the names as before. The table has the projects' RLS, so a
tenant sees only its own pieces.

Existing projects are indexed here. The projects table is FORCE RLS, so the
backfill reads it with the force lifted inside this transaction (the owner
runs migrations; nobody else sees the gap).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from libs.common.db.rls import disable_tenant_rls, enable_tenant_rls

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_S = "registry"

# Lower-cased first, as the search compares lower(name) with lower(q): a name
# holds a query only if it holds every bigram of the query.
_BIGRAMS = """
CREATE FUNCTION registry.name_bigrams(name text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT substr(lowered, i, 2)), '{}')
    FROM (SELECT lower(name) AS lowered) AS l,
         generate_series(1, char_length(lowered) - 1) AS i
$$
"""

_INDEX_NAME = """
CREATE FUNCTION registry.index_project_name() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF NEW.name IS NOT DISTINCT FROM OLD.name THEN
            RETURN NULL;
        END IF;
        DELETE FROM registry.project_name_grams WHERE project_id = NEW.id;
    END IF;
    INSERT INTO registry.project_name_grams (project_id, gram, tenant_id)
    SELECT NEW.id, gram, NEW.tenant_id FROM unnest(registry.name_bigrams(NEW.name)) AS gram;
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    # The strongest lock this migration needs, taken first. It runs while the previous
    # release still serves (a rolling upgrade): the foreign key and the trigger take SHARE
    # ROW EXCLUSIVE on projects and lifting FORCE RLS takes ACCESS EXCLUSIVE; taken in
    # that order, a service transaction that read a project and then updates it deadlocks
    # with the migration, and the upgrade fails. Waiting once for the table is all it costs.
    op.execute(f"LOCK TABLE {_S}.projects IN ACCESS EXCLUSIVE MODE")
    op.create_table(
        "project_name_grams",
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("gram", sa.String(length=2), nullable=False),
        sa.Column("tenant_id", sa.String(length=6), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            [f"{_S}.projects.id"],
            name=op.f("fk_project_name_grams_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("project_id", "gram", name=op.f("pk_project_name_grams")),
        schema=_S,
    )
    # The lookup: one gram, the tenants the reader sees, the projects (index-only).
    op.create_index(
        "ix_project_name_grams_gram_tenant_id_project_id",
        "project_name_grams",
        ["gram", "tenant_id", "project_id"],
        schema=_S,
    )
    op.create_index("ix_projects_name_id", "projects", ["name", "id"], schema=_S)
    op.execute(_BIGRAMS)
    op.execute(_INDEX_NAME)
    op.execute(
        f"CREATE TRIGGER project_name_grams AFTER INSERT OR UPDATE OF name ON {_S}.projects "
        f"FOR EACH ROW EXECUTE FUNCTION {_S}.index_project_name()"
    )
    op.execute(f"ALTER TABLE {_S}.projects NO FORCE ROW LEVEL SECURITY")
    op.execute(
        "INSERT INTO registry.project_name_grams (project_id, gram, tenant_id) "
        "SELECT p.id, gram, p.tenant_id FROM registry.projects AS p, "
        "unnest(registry.name_bigrams(p.name)) AS gram"
    )
    op.execute(f"ALTER TABLE {_S}.projects FORCE ROW LEVEL SECURITY")
    enable_tenant_rls(_S, "project_name_grams")


def downgrade() -> None:
    disable_tenant_rls(_S, "project_name_grams")
    op.execute(f"DROP TRIGGER IF EXISTS project_name_grams ON {_S}.projects")
    op.execute(f"DROP FUNCTION IF EXISTS {_S}.index_project_name()")
    op.execute(f"DROP FUNCTION IF EXISTS {_S}.name_bigrams(text)")
    op.drop_index("ix_projects_name_id", table_name="projects", schema=_S)
    op.drop_table("project_name_grams", schema=_S)
