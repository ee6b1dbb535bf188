"""Outbox pruning on real PostgreSQL: old sent rows go, an unsent row never does.

Rows are written by the application role (``emit``) and marked sent by the
relay role with the relay's own statement shape, backdated; pruning runs as the
owner, as ``govproj events prune`` does. A relay's claim (``FOR UPDATE SKIP
LOCKED``, rows not yet marked sent) is held open while the pruner runs.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from libs.common.db import create_engine, create_sessionmaker
from libs.common.events._prune import prune_outbox
from libs.common.testing.pytest_plugin import DatabaseUrls, make_database
from libs.common.tests.conftest_events import SCHEMA, create_schema, emit_increments, new_tenant

OLD = timedelta(days=30)
RETENTION = timedelta(days=14)


@pytest.fixture
def prunedb(postgres_admin_url: str) -> DatabaseUrls:
    urls = make_database(postgres_admin_url)
    create_schema(urls.owner)
    # The tenants replica every service schema has (libs/common/tenants.py); only
    # its codes matter to the pruner.
    engine = sa.create_engine(urls.owner.replace("postgresql+asyncpg://", "postgresql+psycopg://"))
    with engine.begin() as conn:
        conn.execute(text(f"CREATE TABLE {SCHEMA}.tenants (code varchar(6) PRIMARY KEY)"))
        conn.execute(text(f"GRANT SELECT ON {SCHEMA}.tenants TO govproj_app"))
    engine.dispose()
    return urls


@pytest.fixture
async def engines(prunedb: DatabaseUrls) -> AsyncIterator[dict[str, AsyncEngine]]:
    made = {
        "app": create_engine(prunedb.app, pool_size=2),
        "relay": create_engine(prunedb.relay, pool_size=2),
        "owner": create_engine(prunedb.owner, pool_size=2),
    }
    yield made
    for engine in made.values():
        await engine.dispose()


async def _add_tenants(owner: AsyncEngine, *codes: str) -> None:
    async with owner.begin() as conn:
        for code in codes:
            await conn.execute(text(f"INSERT INTO {SCHEMA}.tenants VALUES (:c)"), {"c": code})


async def _mark_sent(relay: AsyncEngine, ids: list[str], ago: timedelta) -> None:
    # The relay's mark (libs/common/events/_relay.py), with sent_at set in the past.
    async with relay.begin() as conn:
        await conn.execute(
            text(
                f"UPDATE {SCHEMA}.outbox SET sent_at = now() - make_interval(secs => :s), "
                "attempts = attempts + 1 WHERE id = ANY(:ids)"
            ),
            {"s": ago.total_seconds(), "ids": [uuid.UUID(i) for i in ids]},
        )


async def _backdate_created(owner: AsyncEngine, tenant: str, ids: list[str]) -> None:
    # An unsent row as old as the sent ones: age alone must never make a row prunable.
    async with owner.begin() as conn:
        await conn.execute(
            text(
                "SELECT set_config('app.tenant_id', :t, true), set_config('app.visible_tenants', :t, true)"
            ),
            {"t": tenant},
        )
        await conn.execute(
            text(
                f"UPDATE {SCHEMA}.outbox SET created_at = now() - interval '60 days' WHERE id = ANY(:ids)"
            ),
            {"ids": [uuid.UUID(i) for i in ids]},
        )


async def _remaining(relay: AsyncEngine) -> set[str]:
    # The relay role reads every tenant's rows (policy relay_read).
    async with relay.begin() as conn:
        return {str(r) for r in (await conn.scalars(text(f"SELECT id FROM {SCHEMA}.outbox"))).all()}


async def test_pruning_removes_old_sent_rows_and_never_an_unsent_or_claimed_one(
    engines: dict[str, AsyncEngine],
) -> None:
    app_sessions: async_sessionmaker[AsyncSession] = create_sessionmaker(engines["app"])
    owner, relay = engines["owner"], engines["relay"]
    a, b, stranger = new_tenant(), new_tenant(), new_tenant()
    await _add_tenants(owner, a, b)  # `stranger` is unknown to the replica

    old_sent_a = await emit_increments(app_sessions, a, 5)
    old_sent_b = await emit_increments(app_sessions, b, 3)
    recent_sent = await emit_increments(app_sessions, a, 2)
    old_unsent = await emit_increments(app_sessions, a, 2)
    claimed = await emit_increments(app_sessions, b, 2)
    stranger_sent = await emit_increments(app_sessions, stranger, 1)
    await _mark_sent(relay, old_sent_a + old_sent_b + stranger_sent, OLD)
    await _mark_sent(relay, recent_sent, timedelta(days=1))
    await _backdate_created(owner, a, old_unsent)
    await _backdate_created(owner, b, claimed)

    # A relay has claimed `claimed` (published, PubAck on its way, not yet marked):
    # its transaction holds the row locks for the whole prune.
    async with relay.connect() as claim:
        await claim.begin()
        got = (
            await claim.scalars(
                text(
                    f"SELECT id FROM {SCHEMA}.outbox WHERE sent_at IS NULL AND id = ANY(:ids) "
                    "ORDER BY id FOR UPDATE SKIP LOCKED"
                ),
                {"ids": [uuid.UUID(i) for i in claimed]},
            )
        ).all()
        assert sorted(str(i) for i in got) == sorted(claimed)
        # Batches of 2 over 5 + 3 prunable rows: several transactions per tenant.
        result = await asyncio.wait_for(
            prune_outbox(owner, schema=SCHEMA, retention=RETENTION, batch_size=2), timeout=30
        )
        # The relay now marks its claim sent, backdated past the retention, and commits.
        await claim.execute(
            text(
                f"UPDATE {SCHEMA}.outbox SET sent_at = now() - interval '30 days' "
                "WHERE id = ANY(:ids)"
            ),
            {"ids": [uuid.UUID(i) for i in claimed]},
        )
        await claim.commit()

    assert result.deleted == len(old_sent_a) + len(old_sent_b)
    assert result.batches == 3 + 2  # a: 2+2+1; b: 2+1
    left = await _remaining(relay)
    assert left.isdisjoint(old_sent_a + old_sent_b)
    assert left == set(recent_sent + old_unsent + claimed + stranger_sent)
    assert result.unsent == len(old_unsent) + len(claimed)
    assert result.kept_sent == len(recent_sent)  # the stranger's row is not visible to count

    # Once marked sent and past the retention, the formerly claimed rows go too;
    # the unsent ones still stay.
    again = await prune_outbox(owner, schema=SCHEMA, retention=RETENTION)
    assert again.deleted == len(claimed)
    assert await _remaining(relay) == set(recent_sent + old_unsent + stranger_sent)


async def test_pruning_refuses_a_role_that_does_not_own_the_outbox(
    engines: dict[str, AsyncEngine],
) -> None:
    app_sessions: async_sessionmaker[AsyncSession] = create_sessionmaker(engines["app"])
    tenant = new_tenant()
    await _add_tenants(engines["owner"], tenant)
    ids = await emit_increments(app_sessions, tenant, 1)
    await _mark_sent(engines["relay"], ids, OLD)
    # The application role may only append to the outbox (REVOKE DELETE): the job
    # fails loudly rather than quietly deleting nothing.
    with pytest.raises(sa.exc.DBAPIError, match="permission denied"):
        await prune_outbox(engines["app"], schema=SCHEMA, retention=RETENTION)
    assert await _remaining(engines["relay"]) == set(ids)


async def test_pruning_refuses_a_retention_of_zero(engines: dict[str, AsyncEngine]) -> None:
    with pytest.raises(ValueError, match="positive"):
        await prune_outbox(engines["owner"], schema=SCHEMA, retention=timedelta(0))


async def test_the_worker_round_prunes_when_an_owner_url_is_configured(
    prunedb: DatabaseUrls, engines: dict[str, AsyncEngine], monkeypatch: pytest.MonkeyPatch
) -> None:
    from types import SimpleNamespace

    from fastapi import FastAPI

    from libs.common.events._prune import start_outbox_pruning

    app_sessions: async_sessionmaker[AsyncSession] = create_sessionmaker(engines["app"])
    tenant = new_tenant()
    await _add_tenants(engines["owner"], tenant)
    old = await emit_increments(app_sessions, tenant, 2)
    unsent = await emit_increments(app_sessions, tenant, 1)
    await _mark_sent(engines["relay"], old, OLD)
    app = FastAPI()
    app.state.settings = SimpleNamespace(run_workers=True)
    # Without an owner URL the worker has no right to delete, so no round is started.
    monkeypatch.delenv("GOVPROJ_OUTBOX_PRUNE_DATABASE_URL", raising=False)
    assert start_outbox_pruning(app, SCHEMA) is None
    monkeypatch.setenv("GOVPROJ_OUTBOX_PRUNE_DATABASE_URL", prunedb.owner)
    monkeypatch.setenv("GOVPROJ_OUTBOX_PRUNE_INTERVAL", "0.2")
    task = start_outbox_pruning(app, SCHEMA)
    assert task is not None
    try:
        for _ in range(100):
            if await _remaining(engines["relay"]) == set(unsent):
                break
            await asyncio.sleep(0.1)
        assert await _remaining(engines["relay"]) == set(unsent)
    finally:
        task.cancel()
