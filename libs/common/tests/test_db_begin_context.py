"""The tenant context goes out with the transaction's BEGIN, and never outlives it.

One round trip fewer per transaction (libs/common/db/_begin.py): what every
statement sees must not change, and no later transaction on the same pooled
connection may find a context it was not given.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from libs.common.db import (
    TenantContext,
    apply_tenant_context,
    create_engine,
    create_sessionmaker,
    transaction,
)
from libs.common.testing.pytest_plugin import DatabaseUrls
from libs.common.tests.conftest_events import SCHEMA, emit_increment, new_tenant

_CONTEXT = text(
    "SELECT current_setting('app.tenant_id', true), current_setting('app.visible_tenants', true)"
)


@pytest.fixture
async def one_connection(evdb: DatabaseUrls) -> AsyncIterator[AsyncEngine]:
    # One pooled connection used in turn: each transaction gets the previous one's.
    engine = create_engine(evdb.app, pool_size=1)
    yield engine
    await engine.dispose()


@contextmanager
def statements(engine: AsyncEngine) -> Iterator[list[str]]:
    """The statements SQLAlchemy sends while the block runs (BEGIN is the driver's)."""
    sent: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        sent.append(statement)

    sa_event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        sa_event.remove(engine.sync_engine, "before_cursor_execute", record)


async def _context(session: AsyncSession) -> tuple[str | None, str | None]:
    tenant, visible = (await session.execute(_CONTEXT)).one()
    return tenant or None, visible or None


async def _driver(session: AsyncSession) -> object:
    return (await (await session.connection()).get_raw_connection()).driver_connection


async def test_the_first_statement_already_sees_the_context_sent_with_begin(
    one_connection: AsyncEngine,
) -> None:
    sessions: async_sessionmaker[AsyncSession] = create_sessionmaker(one_connection)
    county, city = new_tenant(), new_tenant()
    with statements(one_connection) as sent:
        async with transaction(sessions, TenantContext.own(county, [city])) as session:
            assert await _context(session) == (county, ",".join(sorted([county, city])))
            # Row-level security reads the same context: the transaction writes in its tenant.
            await emit_increment(session, county, "a")
            await session.flush()
            seen = await session.scalar(text(f"SELECT count(*) FROM {SCHEMA}.outbox"))
            assert seen == 1
    assert not any("set_config" in s for s in sent)  # no round trip of its own

    # The next transaction on that connection, given no context, finds none.
    async with transaction(sessions, None) as session:
        assert await _context(session) == (None, None)


async def test_a_context_given_to_a_transaction_that_sent_nothing_is_forgotten(
    one_connection: AsyncEngine,
) -> None:
    sessions: async_sessionmaker[AsyncSession] = create_sessionmaker(one_connection)
    async with transaction(sessions, TenantContext.own(new_tenant())) as session:
        first = await _driver(session)  # the context waits for a BEGIN that never comes
    async with transaction(sessions, None) as session:
        assert await _driver(session) is first
        assert await _context(session) == (None, None)
    # Nor does a failed transaction hand its context on.
    with pytest.raises(RuntimeError):
        async with transaction(sessions, TenantContext.own(new_tenant())) as session:
            raise RuntimeError("the request fails before its first statement")
    async with transaction(sessions, None) as session:
        assert await _context(session) == (None, None)


async def test_a_context_changed_inside_a_transaction_is_set_by_a_statement(
    one_connection: AsyncEngine,
) -> None:
    sessions: async_sessionmaker[AsyncSession] = create_sessionmaker(one_connection)
    first, second = new_tenant(), new_tenant()
    with statements(one_connection) as sent:
        async with transaction(sessions, TenantContext.own(first)) as session:
            assert await _context(session) == (first, first)
            # A consumer batch moving to the next tenant's events: the BEGIN is long gone.
            await apply_tenant_context(session, TenantContext.own(second))
            assert await _context(session) == (second, second)
    assert len([s for s in sent if "set_config" in s]) == 1


async def test_a_context_that_would_need_quoting_takes_the_bound_statement(
    one_connection: AsyncEngine,
) -> None:
    sessions: async_sessionmaker[AsyncSession] = create_sessionmaker(one_connection)
    odd = "x'); SELECT 1; --"
    with statements(one_connection) as sent:
        async with transaction(sessions, TenantContext.own(odd)) as session:
            assert await _context(session) == (odd, odd)
    assert len([s for s in sent if "set_config" in s]) == 1
