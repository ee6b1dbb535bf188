"""Service-level fixtures: a migrated approval database, a rolled-back session per test,
and one app on that session served through httpx.ASGITransport with dev-issuer tokens."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.testing.database import migrated_database, rollback_session
from services.approval.tests.support import Tokens, api_app, seed_tenants

approval_db = migrated_database("approval")
db = rollback_session("approval_db")


@pytest.fixture
async def seeded(db: AsyncSession) -> AsyncSession:
    """``db`` with the tenant tree replica the tests' jurisdictions need."""
    await seed_tenants(db)
    return db


@pytest.fixture(scope="session")
def tokens(tmp_path_factory: pytest.TempPathFactory) -> Tokens:
    return Tokens(Path(tmp_path_factory.mktemp("approval-issuer")))


@pytest.fixture
async def app(seeded: AsyncSession, tokens: Tokens) -> FastAPI:
    return api_app(seeded, tokens)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://approval") as c:
        yield c
