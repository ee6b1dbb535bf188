"""The registry's service-level tests: one migrated database, a rolled-back transaction per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.testing.database import migrated_database, rollback_session
from services.registry.tests.support import Caller, registry_client, seed_tree

registry_db = migrated_database("registry")
db = rollback_session("registry_db")


@pytest.fixture
async def tree_db(db: AsyncSession) -> AsyncSession:
    """The rolled-back session with the demo tenant tree in the registry's table."""
    await seed_tree(db)
    return db


@pytest.fixture
def caller(tmp_path: Path) -> Caller:
    return Caller(tmp_path / "issuer")


@pytest.fixture
async def api(tree_db: AsyncSession, caller: Caller) -> AsyncIterator[httpx.AsyncClient]:
    async with registry_client(tree_db, caller.home) as client:
        yield client
