"""Fixtures of the events tests on real PostgreSQL and NATS: a database with the test schema.

Each test gets its own database (the JetStream server and its GOVPROJ stream
are shared by the run, so tenants keep tests apart, see conftest_events.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import nats
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.db import create_engine, create_sessionmaker
from libs.common.events import ensure_streams
from libs.common.testing.pytest_plugin import DatabaseUrls, make_database
from libs.common.tests.conftest_events import create_schema


@pytest.fixture
def evdb(postgres_admin_url: str) -> DatabaseUrls:
    urls = make_database(postgres_admin_url)
    create_schema(urls.owner)
    return urls


@pytest.fixture
async def app_sessions(evdb: DatabaseUrls) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(evdb.app, pool_size=4)
    yield create_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture
async def relay_sessions(evdb: DatabaseUrls) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(evdb.relay, pool_size=4)
    yield create_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture
async def nc(nats_url: str) -> AsyncIterator[Any]:
    client = await nats.connect(nats_url, max_reconnect_attempts=-1)
    await ensure_streams(client.jetstream())
    yield client
    await client.close()
