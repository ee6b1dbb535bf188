"""Events held by the session and written together: same outcome, fewer round trips.

emit() no longer INSERTs at once; the transaction's events go out in one
statement at commit, before a tenant-context change, or at a savepoint's
release. What a service or consumer can observe must not change: every event
of a committed change is there once, under its own tenant, none of a
rolled-back change or savepoint, and a failing event in a consumer's batch
takes only its own follow-up events with it.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.db import TenantContext, apply_tenant_context, transaction
from libs.common.events import ConsumerRunner, Event, OutboxRelay, new_event_id
from libs.common.testing.pytest_plugin import DatabaseUrls
from libs.common.tests.conftest_events import (
    INCREMENTED,
    SCHEMA,
    apply_increment,
    counts,
    emit_increment,
    emit_increments,
    new_tenant,
    tenant_filter,
    wait_until,
)

FOLLOW_UP = "govproj.evtest.counter.broken.v1"


async def _outbox(admin_dsn: str, tenants: list[str]) -> list[tuple[str, str, str]]:
    """(tenant, type, key) of the tenants' outbox rows in publish (id) order."""
    conn = await asyncpg.connect(admin_dsn)
    try:
        rows = await conn.fetch(
            f"SELECT tenant_id, type, payload->>'key' AS key FROM {SCHEMA}.outbox "
            "WHERE tenant_id = ANY($1) ORDER BY id",
            tenants,
        )
    finally:
        await conn.close()
    return [(r["tenant_id"], r["type"], r["key"]) for r in rows]


async def test_a_transactions_events_are_written_in_one_statement_under_their_tenants(
    evdb: DatabaseUrls, app_sessions: async_sessionmaker[AsyncSession]
) -> None:
    county, other = new_tenant(), new_tenant()
    outbox_writes: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if "outbox" in statement:
            outbox_writes.append(statement)

    engine = app_sessions.kw["bind"].sync_engine
    sa_event.listen(engine, "before_cursor_execute", count)
    try:
        async with transaction(app_sessions, TenantContext.own(county)) as session:
            for key in ("a", "b", "c"):
                await emit_increment(session, county, key)
            assert outbox_writes == []  # held until the transaction writes them
            # A savepoint that rolls back takes its own events, and only those.
            with pytest.raises(RuntimeError):
                async with session.begin_nested():
                    await emit_increment(session, county, "undone")
                    raise RuntimeError("the change inside the savepoint fails")
            # The transaction reads its own events, as if they had been written at once.
            assert await session.scalar(text(f"SELECT count(*) FROM {SCHEMA}.outbox")) == 3
            # A change of tenant context writes what was emitted under the old one first.
            await apply_tenant_context(session, TenantContext.own(other))
            await emit_increment(session, other, "d")
    finally:
        sa_event.remove(engine, "before_cursor_execute", count)
    # One INSERT for the county's three events (before the read), one for the other's,
    # and the read itself.
    assert len([w for w in outbox_writes if "INSERT INTO" in w]) == 2
    assert await _outbox(evdb.admin, [county, other]) == [
        (county, INCREMENTED, "a"),
        (county, INCREMENTED, "b"),
        (county, INCREMENTED, "c"),
        (other, INCREMENTED, "d"),
    ]


async def test_an_event_in_another_tenants_name_still_fails_its_transaction(
    evdb: DatabaseUrls, app_sessions: async_sessionmaker[AsyncSession]
) -> None:
    mine, theirs = new_tenant(), new_tenant()
    with pytest.raises(DBAPIError):  # RLS, now at the commit that writes the row
        async with transaction(app_sessions, TenantContext.own(mine)) as session:
            await emit_increment(session, mine, "mine")
            await emit_increment(session, theirs, "theirs")
    assert await _outbox(evdb.admin, [mine, theirs]) == []


async def test_a_failing_event_in_a_consumer_batch_takes_only_its_own_follow_ups(
    evdb: DatabaseUrls,
    app_sessions: async_sessionmaker[AsyncSession],
    relay_sessions: async_sessionmaker[AsyncSession],
    nc: Any,
    nats_url: str,
) -> None:
    async def apply_and_follow_up(session: AsyncSession, event: Event) -> None:
        await apply_increment(session, event)
        await emit_increment(session, event.tenant, f"after-{event.data['key']}", event="broken")
        if event.data["key"] == "bad":
            raise RuntimeError("a bug no retry cures")

    tenants = [new_tenant(), new_tenant()]
    # Queued before the consumer starts, so they arrive in one batch: the bad one
    # sends the batch down the savepoint-per-event path, across two tenants.
    for tenant in tenants:
        await emit_increments(app_sessions, tenant, 1, key="good")
    await emit_increments(app_sessions, tenants[0], 1, key="bad")
    await emit_increments(app_sessions, tenants[1], 1, key="fine")
    runner = ConsumerRunner(
        app_sessions,
        nats_url,
        schema=SCHEMA,
        durable=f"evtest_{uuid.uuid4().hex[:8]}",
        stream="GOVPROJ",
        filter_subjects=tenant_filter(*tenants),
        handlers={INCREMENTED: apply_and_follow_up},  # the follow-ups are ignored
        max_deliver=1,
        backoff=[0.1],
        idle_timeout=0.5,
    )
    relay = OutboxRelay(relay_sessions, nc.jetstream(), SCHEMA, poll_interval=0.2)
    tasks = [asyncio.create_task(w.run()) for w in (relay, runner)]
    try:

        async def settled() -> bool:
            c = await counts(evdb.admin, tenants)
            return c.counter_total == 3 and c.dead_letters == 1

        await wait_until(settled, within=30)
        await asyncio.sleep(0.5)  # anything extra would show up now
    finally:
        relay.stop()
        runner.stop()
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=15)
    follow_ups = sorted(
        (tenant, key)
        for tenant, kind, key in await _outbox(evdb.admin, tenants)
        if kind == FOLLOW_UP
    )
    assert follow_ups == sorted(
        [(tenants[0], "after-good"), (tenants[1], "after-good"), (tenants[1], "after-fine")]
    )


async def test_an_event_can_carry_the_id_its_producer_already_wrote(
    evdb: DatabaseUrls, app_sessions: async_sessionmaker[AsyncSession]
) -> None:
    # The registry writes a project's history row, naming its event, in the statement
    # that writes the project, before it emits the event: the two ids must be one.
    county = new_tenant()
    first, second = new_event_id(), new_event_id()
    assert first != second and uuid.UUID(first).version == 7 and first < second
    async with transaction(app_sessions, TenantContext.own(county)) as session:
        named = await emit_increment(session, county, "named", event_id=second)
        unnamed = await emit_increment(session, county, "unnamed")
    assert named == second
    conn = await asyncpg.connect(evdb.admin)
    try:
        rows = await conn.fetch(
            f"SELECT id::text AS id, payload->>'key' AS key, headers->>'ce-id' AS ce_id "
            f"FROM {SCHEMA}.outbox WHERE tenant_id = $1 ORDER BY id",
            county,
        )
    finally:
        await conn.close()
    assert [(r["id"], r["key"], r["ce_id"]) for r in rows] == [
        (second, "named", second),
        (unnamed, "unnamed", unnamed),
    ]
