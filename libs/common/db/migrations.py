"""Alembic, one version table per service schema, driven from code (no alembic.ini).

A service's ``migrations/env.py`` is two lines: import its metadata and call
:func:`run_alembic_env`. ``govproj db upgrade`` and the tests use
:func:`upgrade`; services refuse to start when :func:`is_up_to_date` is false.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData

from libs.common.db.bootstrap import psycopg_url
from libs.common.db.rls import APP_ROLE, RELAY_ROLE

__all__ = [
    "alembic_config",
    "autogenerate_diff",
    "is_up_to_date",
    "prepare_schema",
    "run_alembic_env",
    "upgrade",
]

OWNER_ROLE = "govproj_owner"


def _sync_url(url: str) -> str:
    return psycopg_url(url).replace("postgresql://", "postgresql+psycopg://", 1)


def _migrations_dir(service: str) -> Path:
    module = importlib.import_module(f"services.{service}")
    assert module.__file__ is not None
    return Path(module.__file__).parent / "migrations"


def alembic_config(service: str, url: str) -> Config:
    """An Alembic config for ``service`` against ``url`` (the owner role's URL)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(_migrations_dir(service)))
    cfg.set_main_option("sqlalchemy.url", _sync_url(url).replace("%", "%%"))
    cfg.attributes["service"] = service
    return cfg


def prepare_schema(url: str, schema: str) -> None:
    """Create the service's schema and grant the app and relay roles what they use.

    Default privileges make every table the owner creates later usable by the
    app role without a grant in each migration.
    """
    engine = sa.create_engine(_sync_url(url))
    with engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        conn.execute(sa.text(f'GRANT USAGE ON SCHEMA "{schema}" TO {APP_ROLE}, {RELAY_ROLE}'))
        conn.execute(
            sa.text(
                f'ALTER DEFAULT PRIVILEGES FOR ROLE {OWNER_ROLE} IN SCHEMA "{schema}" '
                f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {APP_ROLE}"
            )
        )
        conn.execute(
            sa.text(
                f'ALTER DEFAULT PRIVILEGES FOR ROLE {OWNER_ROLE} IN SCHEMA "{schema}" '
                f"GRANT USAGE, SELECT ON SEQUENCES TO {APP_ROLE}"
            )
        )
    engine.dispose()


def upgrade(service: str, url: str, revision: str = "head") -> None:
    """Create the schema if needed and upgrade ``service`` to ``revision``."""
    prepare_schema(url, service)
    command.upgrade(alembic_config(service, url), revision)


def _head(service: str, url: str) -> tuple[str, ...]:
    return tuple(ScriptDirectory.from_config(alembic_config(service, url)).get_heads())


def is_up_to_date(service: str, url: str) -> bool:
    """True when the database is at the code's head revision for ``service``."""
    engine = sa.create_engine(_sync_url(url))
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"version_table_schema": service})
            return tuple(ctx.get_current_heads()) == _head(service, url)
    finally:
        engine.dispose()


def autogenerate_diff(service: str, url: str, metadata: MetaData) -> Sequence[Any]:
    """What autogenerate would change; empty when models and migrations agree."""
    from alembic.autogenerate import compare_metadata

    engine = sa.create_engine(_sync_url(url))
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(
                conn,
                opts={
                    "include_schemas": True,
                    "include_name": _include_name(service),
                    "version_table_schema": service,
                    "compare_type": True,
                    "compare_server_default": True,
                },
            )
            return list(compare_metadata(ctx, metadata))
    finally:
        engine.dispose()


def _include_name(schema: str) -> Any:
    def include(name: str | None, type_: str, parent_names: dict[str, str | None]) -> bool:
        if type_ == "schema":
            return name == schema
        return True

    return include


def run_alembic_env(metadata: MetaData) -> None:
    """The body of every service's ``migrations/env.py`` (online mode only)."""
    from alembic import context

    schema = metadata.schema
    assert schema, "service metadata must name its schema"
    cfg = context.config
    engine = sa.create_engine(cfg.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        context.configure(
            connection=conn,
            target_metadata=metadata,
            version_table_schema=schema,
            include_schemas=True,
            include_name=_include_name(schema),
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
