"""Row-level security, read off the catalog and exercised as the application role."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from psycopg import errors

from libs.common.db.bootstrap import psycopg_url
from libs.common.settings import SERVICES
from libs.common.testing.pytest_plugin import DatabaseUrls

COUNTY_A, COUNTY_B, CITY = "445102", "445103", "445100"


def test_every_tenant_table_has_rls_enabled_forced_and_policies(platform_db: DatabaseUrls) -> None:
    with psycopg.connect(psycopg_url(platform_db.owner)) as conn:
        rows = conn.execute(
            """
            SELECT n.nspname, c.relname, c.relrowsecurity, c.relforcerowsecurity,
                   (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
            WHERE c.relkind = 'r' AND n.nspname = ANY(%s)
            """,
            (list(SERVICES),),
        ).fetchall()
    assert rows, "there are tenant tables"
    schemas = {r[0] for r in rows}
    assert schemas == set(SERVICES), f"every service has tenant tables (outbox, inbox): {schemas}"
    for schema, table, enabled, forced, policies in rows:
        assert enabled and forced, f"{schema}.{table}: RLS enabled={enabled} forced={forced}"
        assert policies >= 4, f"{schema}.{table}: only {policies} policies"


def test_application_role_is_neither_owner_nor_bypassrls(platform_db: DatabaseUrls) -> None:
    with psycopg.connect(psycopg_url(platform_db.owner)) as conn:
        super_, bypass = conn.execute(
            "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = 'govproj_app'"
        ).fetchone() or (None, None)
        owned = conn.execute(
            """SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner
               JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE r.rolname IN ('govproj_app', 'govproj_relay') AND n.nspname = ANY(%s)""",
            (list(SERVICES),),
        ).fetchone()
    assert super_ is False and bypass is False
    assert owned == (0,)


def _as_app(db: DatabaseUrls) -> psycopg.Connection:
    return psycopg.connect(psycopg_url(db.app))


def _ctx(conn: psycopg.Connection, tenant: str | None, visible: set[str] | None) -> None:
    if tenant is not None:
        conn.execute("SELECT set_config('app.tenant_id', %s, true)", (tenant,))
    if visible is not None:
        conn.execute(
            "SELECT set_config('app.visible_tenants', %s, true)", (",".join(sorted(visible)),)
        )


def _insert_unit(conn: psycopg.Connection, tenant: str, name: str) -> None:
    conn.execute(
        "INSERT INTO registry.units (id, tenant_id, name, created_at) VALUES (%s, %s, %s, now())",
        (uuid.uuid4(), tenant, name),
    )


@pytest.fixture(scope="module")
def canaries(platform_db: DatabaseUrls) -> dict[str, str]:
    names = {t: f"canary-{t}-{uuid.uuid4().hex[:6]}" for t in (COUNTY_A, COUNTY_B, CITY)}
    with _as_app(platform_db) as conn:
        for tenant, name in names.items():
            with conn.transaction():
                _ctx(conn, tenant, {tenant})
                _insert_unit(conn, tenant, name)
    return names


def _visible_canaries(
    db: DatabaseUrls, tenant: str | None, visible: set[str] | None, canaries: dict[str, str]
) -> set[str]:
    with _as_app(db) as conn, conn.transaction():
        _ctx(conn, tenant, visible)
        rows = conn.execute(
            "SELECT tenant_id FROM registry.units WHERE name = ANY(%s)", (list(canaries.values()),)
        ).fetchall()
    return {r[0] for r in rows}


@pytest.mark.parametrize(
    ("who", "tenant", "visible", "expected"),
    [
        ("county A", COUNTY_A, {COUNTY_A}, {COUNTY_A}),
        ("county B", COUNTY_B, {COUNTY_B}, {COUNTY_B}),
        ("their city", CITY, {CITY, COUNTY_A, COUNTY_B}, {CITY, COUNTY_A, COUNTY_B}),
        ("no context", None, None, set()),
    ],
)
def test_reads_see_only_visible_tenants(
    platform_db: DatabaseUrls,
    canaries: dict[str, str],
    who: str,
    tenant: str | None,
    visible: set[str] | None,
    expected: set[str],
) -> None:
    assert _visible_canaries(platform_db, tenant, visible, canaries) == expected, who


@pytest.mark.parametrize(
    ("who", "tenant", "visible", "target"),
    [
        ("county A writing into county B", COUNTY_A, {COUNTY_A}, COUNTY_B),
        ("the city writing into its county", CITY, {CITY, COUNTY_A}, COUNTY_A),
        ("no context", None, None, COUNTY_A),
    ],
)
def test_writes_outside_own_tenant_are_refused(
    platform_db: DatabaseUrls, who: str, tenant: str | None, visible: set[str] | None, target: str
) -> None:
    with (
        _as_app(platform_db) as conn,
        pytest.raises(errors.InsufficientPrivilege),
        conn.transaction(),
    ):
        _ctx(conn, tenant, visible)
        _insert_unit(conn, target, f"intruder-{uuid.uuid4().hex[:6]}")


def test_city_cannot_update_or_delete_county_rows(
    platform_db: DatabaseUrls, canaries: dict[str, str]
) -> None:
    with _as_app(platform_db) as conn, conn.transaction():
        _ctx(conn, CITY, {CITY, COUNTY_A, COUNTY_B})
        updated = conn.execute(
            "UPDATE registry.units SET name = name || '!' WHERE tenant_id = %s", (COUNTY_A,)
        ).rowcount
        deleted = conn.execute(
            "DELETE FROM registry.units WHERE tenant_id = %s", (COUNTY_B,)
        ).rowcount
    assert (updated, deleted) == (0, 0)
    assert _visible_canaries(platform_db, CITY, {CITY, COUNTY_A, COUNTY_B}, canaries) == {
        CITY,
        COUNTY_A,
        COUNTY_B,
    }


def test_pooled_connection_reused_across_tenants_leaks_nothing(
    platform_db: DatabaseUrls, canaries: dict[str, str]
) -> None:
    with _as_app(platform_db) as conn:
        with conn.transaction():
            _ctx(conn, CITY, {CITY, COUNTY_A, COUNTY_B})
            assert conn.execute(
                "SELECT count(*) FROM registry.units WHERE name = ANY(%s)",
                (list(canaries.values()),),
            ).fetchone() == (3,)
        # Same connection, next transaction, set for county B only.
        with conn.transaction():
            _ctx(conn, COUNTY_B, {COUNTY_B})
            seen = conn.execute(
                "SELECT tenant_id FROM registry.units WHERE name = ANY(%s)",
                (list(canaries.values()),),
            ).fetchall()
        assert seen == [(COUNTY_B,)]
        # And a transaction that sets nothing sees nothing.
        with conn.transaction():
            assert conn.execute("SELECT count(*) FROM registry.units").fetchone() == (0,)
