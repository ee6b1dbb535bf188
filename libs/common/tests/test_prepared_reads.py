"""A single-object GET's read on a pooled connection, past the session (libs/common/db/_prepared.py).

Row-level security must apply as on any request (the caller's context, local to the
read's own transaction); the connection must go back to the pool with neither a
context nor an open transaction; a read that fails must not hand a half-used
connection to the next request; the read is a traced SQL statement like any other.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import pytest
import sqlalchemy as sa
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlalchemy.dialects.postgresql import JSON
from sqlalchemy.ext.asyncio import AsyncEngine

from libs.common.db import (
    PooledReads,
    PreparedRead,
    SessionReads,
    TenantContext,
    create_engine,
    create_sessionmaker,
    transaction,
)
from libs.common.telemetry import instrument_sql
from libs.common.testing.pytest_plugin import DatabaseUrls
from libs.common.tests.conftest_events import counter, new_tenant

# A JSON column built from a literal key (a value SQLAlchemy binds itself) and the row's.
COUNTER = PreparedRead(
    sa.select(
        counter.c.tenant_id,
        counter.c.value,
        sa.type_coerce(sa.func.json_build_object("key", counter.c.key), JSON).label("about"),
    ).where(counter.c.key == sa.bindparam("id"))
)
_CONTEXT = (
    "SELECT current_setting('app.tenant_id', true), current_setting('app.visible_tenants', true)"
)


@pytest.fixture
async def engine(evdb: DatabaseUrls) -> AsyncIterator[AsyncEngine]:
    # One pooled connection: each read gets the connection the previous one used.
    engine = create_engine(evdb.app, pool_size=1)
    yield engine
    await engine.dispose()


async def counted(engine: AsyncEngine, tenant: str, key: str) -> None:
    async with transaction(create_sessionmaker(engine), TenantContext.own(tenant)) as session:
        await session.execute(sa.insert(counter).values(tenant_id=tenant, key=key, value=3))


async def test_a_row_of_a_visible_tenant_is_read_with_its_json_decoded(
    engine: AsyncEngine,
) -> None:
    county, city = new_tenant(), new_tenant()
    await counted(engine, county, "k1")

    own = await PooledReads(engine, TenantContext.own(county)).one(COUNTER, id="k1")
    overseer = await PooledReads(engine, TenantContext.own(city, [county])).one(COUNTER, id="k1")

    assert own == {"tenant_id": county, "value": 3, "about": {"key": "k1"}}
    assert overseer == own


async def test_row_level_security_hides_another_tenants_row_and_an_empty_context_sees_none(
    engine: AsyncEngine,
) -> None:
    county, other = new_tenant(), new_tenant()
    await counted(engine, county, "k2")

    assert await PooledReads(engine, TenantContext.own(other)).one(COUNTER, id="k2") is None
    nobody = TenantContext(tenant="", visible=frozenset())
    assert await PooledReads(engine, nobody).one(COUNTER, id="k2") is None


async def test_the_connection_returns_without_context_or_transaction(engine: AsyncEngine) -> None:
    county = new_tenant()
    await counted(engine, county, "k3")
    await PooledReads(engine, TenantContext.own(county)).one(COUNTER, id="k3")

    pooled = await engine.raw_connection()
    try:
        conn: Any = pooled.driver_connection
        assert not conn.is_in_transaction()
        assert tuple(await conn.fetchrow(_CONTEXT)) in {(None, None), ("", "")}
    finally:
        pooled.close()


async def test_a_tenant_code_that_needs_quoting_takes_a_bound_statement(
    engine: AsyncEngine,
) -> None:
    # Only plain codes ride on the BEGIN (libs/common/db/_begin.py); anything else is
    # bound, never written into the query text.
    odd = "x'; DROP TABLE evtest.counter; --"
    assert await PooledReads(engine, TenantContext.own(odd)).one(COUNTER, id="k4") is None


async def test_a_failed_read_closes_its_connection_and_the_next_read_works(
    engine: AsyncEngine,
) -> None:
    county = new_tenant()
    await counted(engine, county, "k5")
    broken = PreparedRead(
        sa.select(sa.cast(counter.c.key, sa.Integer)).where(counter.c.key == sa.bindparam("id"))
    )

    with pytest.raises(asyncpg.PostgresError):
        await PooledReads(engine, TenantContext.own(county)).one(broken, id="k5")
    assert engine.sync_engine.pool.checkedout() == 0  # type: ignore[attr-defined]  # QueuePool

    read = await PooledReads(engine, TenantContext.own(county)).one(COUNTER, id="k5")
    assert read is not None and read["value"] == 3


async def test_a_session_reads_the_same_row_in_its_own_transaction(engine: AsyncEngine) -> None:
    county, other = new_tenant(), new_tenant()
    await counted(engine, county, "k6")
    sessions = create_sessionmaker(engine)
    pooled = await PooledReads(engine, TenantContext.own(county)).one(COUNTER, id="k6")

    async with transaction(sessions, TenantContext.own(county)) as session:
        # Nothing sent yet: the read begins the transaction, in its context.
        assert await SessionReads(session).one(COUNTER, id="k6") == pooled
    async with transaction(sessions, TenantContext.own(other)) as session:
        assert await SessionReads(session).one(COUNTER, id="k6") is None


async def test_the_read_is_a_client_span_of_the_request(engine: AsyncEngine) -> None:
    county = new_tenant()
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    instrument_sql([engine], provider=provider)

    with provider.get_tracer("test").start_as_current_span("GET /v1/projects/{id}") as request:
        await PooledReads(engine, TenantContext.own(county)).one(COUNTER, id="k7")

    sql = [s for s in exporter.get_finished_spans() if s.kind == trace.SpanKind.CLIENT]
    assert [s.name for s in sql] == ["SELECT"]
    assert sql[0].parent is not None
    assert sql[0].parent.span_id == request.get_span_context().span_id
    attrs = dict(sql[0].attributes or {})
    assert attrs["db.statement"] == COUNTER.sql
    assert (attrs["db.system"], attrs["db.name"]) == ("postgresql", engine.url.database)
