"""One relay batch, published back to back: a refused publish costs only its own row.

The relay writes a whole batch to the connection before awaiting any PubAck.
A row JetStream refuses must stay unsent (with its attempt and error counted)
while the rest of its batch is marked sent, and go out on a later pass, in
id order; what reaches the stream carries the outbox row's headers as they are.
"""

from __future__ import annotations

import json
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.db import TenantContext, transaction
from libs.common.events import OutboxRelay
from libs.common.testing.pytest_plugin import DatabaseUrls
from libs.common.tests.conftest_events import SCHEMA, emit_increment, new_tenant

# A header that makes JetStream refuse the message (no stream of that name captures it).
_REFUSED = '{"Nats-Expected-Stream": "NO_SUCH_STREAM"}'


async def _outbox_rows(admin_dsn: str, tenant: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(admin_dsn)
    try:
        return list(
            await conn.fetch(
                f"SELECT id::text AS id, headers::text AS headers, sent_at, attempts, last_error "
                f"FROM {SCHEMA}.outbox WHERE tenant_id = $1 ORDER BY id",
                tenant,
            )
        )
    finally:
        await conn.close()


async def _admin(admin_dsn: str, sql: str, *args: Any) -> None:
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(sql, *args)
    finally:
        await conn.close()


async def _stream_order(js: Any, tenant: str, n: int) -> list[tuple[str, dict[str, str]]]:
    """(Nats-Msg-Id, headers) of the tenant's messages in the stream, in stream order."""
    sub = await js.pull_subscribe(f"govproj.{tenant}.>", stream="GOVPROJ")
    try:
        msgs: list[Any] = []
        while len(msgs) < n:
            msgs += await sub.fetch(n - len(msgs), timeout=5)
    finally:
        await sub.unsubscribe()
    return [(m.headers["Nats-Msg-Id"], dict(m.headers)) for m in msgs]


async def test_a_refused_publish_leaves_only_its_row_unsent_and_goes_out_next_time_in_order(
    evdb: DatabaseUrls,
    app_sessions: async_sessionmaker[AsyncSession],
    relay_sessions: async_sessionmaker[AsyncSession],
    nc: Any,
) -> None:
    tenant = new_tenant()
    for key in ("a", "b", "c", "d", "e"):
        async with transaction(app_sessions, TenantContext.own(tenant)) as session:
            await emit_increment(session, tenant, key)
    rows = await _outbox_rows(evdb.admin, tenant)
    ids = [r["id"] for r in rows]
    original_headers = {r["id"]: r["headers"] for r in rows}
    refused = [ids[1], ids[3]]
    await _admin(
        evdb.admin,
        f"UPDATE {SCHEMA}.outbox SET headers = headers || $2::jsonb WHERE id = ANY($1::uuid[])",
        refused,
        _REFUSED,
    )
    relay = OutboxRelay(relay_sessions, nc.jetstream(), SCHEMA, batch_size=10)

    first = await relay.relay_once()

    assert (first.claimed, first.sent, first.failed) == (5, 3, 2)
    after_first = {r["id"]: r for r in await _outbox_rows(evdb.admin, tenant)}
    for event_id in ids:
        row = after_first[event_id]
        assert row["attempts"] == 1
        if event_id in refused:
            assert row["sent_at"] is None
            assert "stream" in row["last_error"].lower()
        else:
            assert row["sent_at"] is not None
            assert row["last_error"] is None
    assert relay.stats.failures == 2

    # Whatever refused them is gone: the next pass publishes exactly those two.
    await _admin(
        evdb.admin,
        f"UPDATE {SCHEMA}.outbox SET headers = headers - 'Nats-Expected-Stream' "
        "WHERE id = ANY($1::uuid[])",
        refused,
    )
    second = await relay.relay_once()

    assert (second.claimed, second.sent, second.failed) == (2, 2, 0)
    assert all(r["sent_at"] is not None for r in await _outbox_rows(evdb.admin, tenant))
    assert (await relay.relay_once()).claimed == 0
    published = await _stream_order(nc.jetstream(), tenant, 5)
    # Each pass in id order; the refused rows after the batch that went without them.
    assert [msg_id for msg_id, _ in published] == [ids[0], ids[2], ids[4], ids[1], ids[3]]
    # The CloudEvents headers reach the stream exactly as the outbox holds them.
    for msg_id, headers in published:
        assert headers == json.loads(original_headers[msg_id])
