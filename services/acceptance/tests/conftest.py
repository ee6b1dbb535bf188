"""Service-level fixtures: a migrated acceptance database, a rolled-back session per test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.db import create_engine, create_sessionmaker
from libs.common.testing.database import in_tenant, migrated_database, rollback_session
from libs.common.testing.pytest_plugin import DatabaseUrls
from services.acceptance.tests.support.feed import LAIZHOU

acceptance_db = migrated_database("acceptance")
_rolled_back = rollback_session("acceptance_db")


@pytest.fixture
async def db(_rolled_back: AsyncSession) -> AsyncSession:
    """A session in 莱州's own context; everything it writes is rolled back after the test."""
    return await in_tenant(_rolled_back, LAIZHOU)


@pytest.fixture
async def committed(
    acceptance_db: DatabaseUrls,
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions that commit: only for what needs two transactions (workers, the consumer)."""
    engine = create_engine(acceptance_db.app, pool_size=4)
    yield create_sessionmaker(engine)
    await engine.dispose()
