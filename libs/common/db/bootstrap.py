"""Create the database and its three roles on a fresh cluster (embedded default, tests).

Roles, and why three:
- ``govproj_owner`` owns the schemas and runs migrations. RLS is FORCEd, so even
  it reads nothing without a tenant context.
- ``govproj_app`` is what services connect as: neither owner nor BYPASSRLS.
- ``govproj_relay`` publishes the outbox: the outbox's policies let it read and
  mark every tenant's rows, and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg import sql

__all__ = ["DatabaseRoles", "bootstrap_database", "psycopg_url"]


@dataclass(frozen=True)
class DatabaseRoles:
    owner: str = "govproj_owner"
    owner_password: str = "govproj_owner"  # noqa: S105 - development default, overridden in production
    app: str = "govproj_app"
    app_password: str = "govproj_app"  # noqa: S105
    relay: str = "govproj_relay"
    relay_password: str = "govproj_relay"  # noqa: S105


def psycopg_url(url: str) -> str:
    """A libpq URL from an SQLAlchemy one (drops ``+asyncpg``/``+psycopg``)."""
    for driver in ("+asyncpg", "+psycopg"):
        url = url.replace(f"postgresql{driver}://", "postgresql://")
    return url


def _ensure_role(cur: psycopg.Cursor[tuple[object, ...]], name: str, password: str) -> None:
    cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,))
    if cur.fetchone() is None:
        cur.execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {} NOSUPERUSER NOBYPASSRLS NOCREATEROLE").format(
                sql.Identifier(name), sql.Literal(password)
            )
        )


def bootstrap_database(admin_url: str, database: str, roles: DatabaseRoles | None = None) -> None:
    """Idempotently create the roles and ``database`` (owned by the owner role)."""
    roles = roles or DatabaseRoles()
    with psycopg.connect(psycopg_url(admin_url), autocommit=True) as conn, conn.cursor() as cur:
        for name, password in (
            (roles.owner, roles.owner_password),
            (roles.app, roles.app_password),
            (roles.relay, roles.relay_password),
        ):
            _ensure_role(cur, name, password)
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,))
        if cur.fetchone() is None:
            cur.execute(
                sql.SQL("CREATE DATABASE {} OWNER {} ENCODING 'UTF8'").format(
                    sql.Identifier(database), sql.Identifier(roles.owner)
                )
            )
    db_url = psycopg_url(admin_url).rsplit("/", 1)[0] + f"/{database}"
    with psycopg.connect(db_url, autocommit=True) as conn, conn.cursor() as cur:
        # Nobody but the owner creates objects; the app role only uses them.
        cur.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
        cur.execute(
            sql.SQL("GRANT CONNECT ON DATABASE {} TO {}, {}").format(
                sql.Identifier(database), sql.Identifier(roles.app), sql.Identifier(roles.relay)
            )
        )
