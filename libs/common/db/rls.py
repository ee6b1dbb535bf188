"""Row-level security DDL for tenant-owned tables, for use in Alembic migrations.

Reads are allowed over the tenants visible to the transaction
(``app.visible_tenants``: own plus descendants for an overseer); writes only in
the transaction's own tenant (``app.tenant_id``). A missing setting yields
NULL, and NULL matches nothing: a session that forgot its context reads
nothing and writes nothing.
"""

from __future__ import annotations

APP_ROLE = "govproj_app"
RELAY_ROLE = "govproj_relay"

_VISIBLE = "tenant_id = ANY (string_to_array(current_setting('app.visible_tenants', true), ','))"
_OWN = "tenant_id = current_setting('app.tenant_id', true)"


def tenant_rls_statements(schema: str, table: str) -> list[str]:
    """The statements that enable AND force RLS on ``schema.table`` with the read and write policies."""
    qualified = f'"{schema}"."{table}"'
    return [
        f"ALTER TABLE {qualified} ENABLE ROW LEVEL SECURITY",
        # FORCE: the table owner is bound too, so no role slips past by owning the table.
        f"ALTER TABLE {qualified} FORCE ROW LEVEL SECURITY",
        f"CREATE POLICY tenant_read ON {qualified} FOR SELECT USING ({_VISIBLE})",
        f"CREATE POLICY tenant_insert ON {qualified} FOR INSERT WITH CHECK ({_OWN})",
        f"CREATE POLICY tenant_update ON {qualified} FOR UPDATE USING ({_OWN}) WITH CHECK ({_OWN})",
        f"CREATE POLICY tenant_delete ON {qualified} FOR DELETE USING ({_OWN})",
    ]


def drop_tenant_rls_statements(schema: str, table: str) -> list[str]:
    """Undo :func:`tenant_rls_statements`."""
    qualified = f'"{schema}"."{table}"'
    return [
        *(
            f"DROP POLICY IF EXISTS {p} ON {qualified}"
            for p in ("tenant_read", "tenant_insert", "tenant_update", "tenant_delete")
        ),
        f"ALTER TABLE {qualified} NO FORCE ROW LEVEL SECURITY",
        f"ALTER TABLE {qualified} DISABLE ROW LEVEL SECURITY",
    ]


def enable_tenant_rls(schema: str, table: str) -> None:
    """Alembic helper: run inside a migration's ``upgrade()``."""
    from alembic import op

    for stmt in tenant_rls_statements(schema, table):
        op.execute(stmt)


def disable_tenant_rls(schema: str, table: str) -> None:
    """Alembic helper: run inside a migration's ``downgrade()``."""
    from alembic import op

    for stmt in drop_tenant_rls_statements(schema, table):
        op.execute(stmt)
