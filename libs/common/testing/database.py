"""Service-level test databases: migrated once per run, one rolled-back transaction per test.

A service's ``tests/conftest.py`` declares its database and its session::

    from libs.common.testing.database import migrated_database, rollback_session

    service_db = migrated_database("budget")
    db = rollback_session("service_db")

A test then takes ``db`` (an :class:`AsyncSession` on the *app* role, so row-level
security applies) and sets the tenant it acts in with
``await in_tenant(db, "445322")``. Everything the test writes, flushes and even
"commits" is rolled back when it ends: the outer transaction is never
committed and service code's own commits become savepoint releases
(``join_transaction_mode="create_savepoint"``), the pattern of polar's
``tests/fixtures/database.py``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db import TenantContext, apply_tenant_context, create_engine
from libs.common.db.migrations import upgrade
from libs.common.testing.pytest_plugin import DatabaseUrls, make_database

__all__ = ["in_tenant", "migrated_database", "rollback_session"]


def migrated_database(service: str) -> Any:
    """A session-scoped fixture: a fresh database with ``service``'s migrations applied."""

    @pytest.fixture(scope="session")
    def _database(postgres_admin_url: str) -> DatabaseUrls:
        urls = make_database(postgres_admin_url)
        upgrade(service, urls.owner)
        return urls

    return _database


def rollback_session(database_fixture: str) -> Any:
    """A function-scoped fixture: a session inside a transaction rolled back after the test."""

    @pytest.fixture
    async def _session(request: pytest.FixtureRequest) -> AsyncIterator[AsyncSession]:
        urls: DatabaseUrls = request.getfixturevalue(database_fixture)
        engine = create_engine(urls.app, pool_size=1)
        try:
            async with engine.connect() as connection:
                outer = await connection.begin()
                session = AsyncSession(
                    bind=connection,
                    expire_on_commit=False,
                    join_transaction_mode="create_savepoint",
                )
                try:
                    yield session
                finally:
                    await session.close()
                    await outer.rollback()
        finally:
            await engine.dispose()

    return _session


async def in_tenant(
    session: AsyncSession, tenant: str, *, visible: Iterable[str] = ()
) -> AsyncSession:
    """Set the row-level-security context of ``session``'s transaction to ``tenant``."""
    await apply_tenant_context(session, TenantContext.own(tenant, visible))
    return session
