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
async def sessions(evdb: DatabaseUrls) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    # One pooled connection used in turn: each transaction gets the previous one's.
    engine = create_engine(evdb.app, pool_size=1)
    yield create_sessionmaker(engine)
    await engine.dispose()


@contextmanager
def set_config_sent(sessions: async_sessionmaker[AsyncSession]) -> Iterator[list[str]]:
    """The ``set_config`` statements SQLAlchemy sends while the block runs (not the BEGIN)."""
    engine: AsyncEngine = sessions.kw["bind"]
    sent: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if "set_config" in statement:
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
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    county, city = new_tenant(), new_tenant()
    with set_config_sent(sessions) as sent:
        async with transaction(sessions, TenantContext.own(county, [city])) as session:
            assert await _context(session) == (county, ",".join(sorted([county, city])))
            # Row-level security reads the same context: the transaction writes in its tenant.
            await emit_increment(session, county, "a")
            await session.flush()
            seen = await session.scalar(text(f"SELECT count(*) FROM {SCHEMA}.outbox"))
            assert seen == 1
    assert sent == []  # no round trip of its own

    # The next transaction on that connection, given no context, finds none.
    async with transaction(sessions, None) as session:
        assert await _context(session) == (None, None)


async def test_a_context_given_to_a_transaction_that_sent_nothing_is_forgotten(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
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
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    first, second = new_tenant(), new_tenant()
    with set_config_sent(sessions) as sent:
        async with transaction(sessions, TenantContext.own(first)) as session:
            assert await _context(session) == (first, first)
            # A consumer batch moving to the next tenant's events: the BEGIN is long gone.
            await apply_tenant_context(session, TenantContext.own(second))
            assert await _context(session) == (second, second)
    assert len(sent) == 1


async def test_a_context_that_would_need_quoting_takes_the_bound_statement(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    odd = "x'); SELECT 1; --"
    with set_config_sent(sessions) as sent:
        async with transaction(sessions, TenantContext.own(odd)) as session:
            assert await _context(session) == (odd, odd)
    assert len(sent) == 1
