"""Shared pieces of the events tests: a tiny service schema, its handlers, counting helpers.

Not a conftest.py (pytest would not find it under this name on purpose): the
test modules and the crash worker (event_worker.py) import it explicitly.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import sqlalchemy as sa
from nats.js.api import AckPolicy, ConsumerConfig
from sqlalchemy import Column, Integer, MetaData, PrimaryKeyConstraint, String, Table, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.db import TENANT_ID_LENGTH, TenantContext, make_base, transaction
from libs.common.db.migrations import prepare_schema
from libs.common.db.rls import tenant_rls_statements
from libs.common.events import Event, emit, event_tables, event_tables_rls_statements
from libs.common.events._outbox import _check_schema
from libs.contracts import Payload, platform, register

SCHEMA = "evtest"
SERVICE = "evtest"
INCREMENTED = "govproj.evtest.counter.incremented.v1"
BROKEN = "govproj.evtest.counter.broken.v1"


class CounterChange(Payload):
    """The test service's one payload: add ``by`` to the tenant's counter ``key``."""

    key: str
    by: int


# emit() refuses a type without a contract, the test service's included.
register(
    platform(SERVICE, "counter", "incremented", CounterChange, "计数增加", "测试服务的事件。"),
    platform(SERVICE, "counter", "broken", CounterChange, "计数出错", "处理者总是失败的事件。"),
)

ACTOR: dict[str, Any] = {
    "type": "user",
    "id": "u-tester",
    "tenant": None,
    "roles": ["unit_officer"],
}

metadata: MetaData = make_base(SCHEMA).metadata
counter = Table(
    "counter",
    metadata,
    Column("tenant_id", String(TENANT_ID_LENGTH), nullable=False),
    Column("key", String(64), nullable=False),
    Column("value", Integer, nullable=False),
    PrimaryKeyConstraint("tenant_id", "key"),
)
tables = event_tables(metadata)


def create_schema(owner_url: str, schema: str = SCHEMA) -> None:
    """What a service's initial migration does, without Alembic: tables, then RLS."""
    _check_schema(schema)
    prepare_schema(owner_url, schema)
    sync_url = owner_url.replace("postgresql+asyncpg://", "postgresql+psycopg://")
    engine = sa.create_engine(sync_url)
    with engine.begin() as conn:
        metadata.create_all(conn)
        for stmt in tenant_rls_statements(schema, "counter"):
            conn.execute(text(stmt))
        for stmt in event_tables_rls_statements(schema):
            conn.execute(text(stmt))
    engine.dispose()


_INCREMENT = text(
    "INSERT INTO evtest.counter (tenant_id, key, value) VALUES (:tenant, :key, :by) "
    "ON CONFLICT (tenant_id, key) DO UPDATE SET value = counter.value + EXCLUDED.value"
)


async def apply_increment(session: AsyncSession, event: Event) -> None:
    """The test service's one effect: add ``data.by`` to the tenant's counter ``data.key``."""
    await session.execute(
        _INCREMENT, {"tenant": event.tenant, "key": event.data["key"], "by": event.data["by"]}
    )


async def always_fail(session: AsyncSession, event: Event) -> None:
    """A handler with a bug that no retry cures."""
    raise RuntimeError(f"cannot apply {event.id}")


HANDLERS: dict[str, Callable[[AsyncSession, Event], Awaitable[None]]] = {
    INCREMENTED: apply_increment,
    BROKEN: always_fail,
}

# Not secret, only distinct from a previous run's tenants on a reused NATS server.
_tenant_seq = itertools.count(random.randrange(100_000, 800_000, 1000))  # noqa: S311


def new_tenant() -> str:
    """A six-digit code no other test of this run uses: tests share one stream."""
    return f"{next(_tenant_seq):06d}"


def tenant_filter(*tenants: str) -> list[str]:
    return [f"govproj.{t}.{SERVICE}.>" for t in tenants]


async def emit_increments(
    app_sessions: async_sessionmaker[AsyncSession],
    tenant: str,
    n: int,
    *,
    key: str = "k",
    event: str = "incremented",
) -> list[str]:
    """``n`` events in ``n`` transactions (as ``n`` requests would), each adding 1."""
    ids = []
    for _ in range(n):
        async with transaction(app_sessions, TenantContext.own(tenant)) as session:
            ids.append(await emit_increment(session, tenant, key, event=event))
    return ids


async def emit_increment(
    session: AsyncSession,
    tenant: str,
    key: str,
    *,
    event: str = "incremented",
    event_id: str | None = None,
) -> str:
    """One event adding 1 to ``key``, in the caller's transaction; its id (``event_id``
    when given)."""
    ev = await emit(
        session,
        tenant=tenant,
        service=SERVICE,
        aggregate="counter",
        event=event,
        data={"key": key, "by": 1},
        actor={**ACTOR, "tenant": tenant},
        event_id=event_id,
    )
    return ev.id


@dataclass(frozen=True)
class Counts:
    outbox: int
    outbox_sent: int
    inbox: int
    inbox_distinct: int
    counter_total: int
    dead_letters: int


async def counts(admin_dsn: str, tenants: list[str], schema: str = SCHEMA) -> Counts:
    """What the database says, read as the superuser (RLS does not hide anything from it)."""
    conn = await asyncpg.connect(admin_dsn)
    try:
        row = await conn.fetchrow(
            f"""SELECT
              (SELECT count(*) FROM {schema}.outbox WHERE tenant_id = ANY($1)) AS outbox,
              (SELECT count(*) FROM {schema}.outbox WHERE tenant_id = ANY($1)
                  AND sent_at IS NOT NULL) AS outbox_sent,
              (SELECT count(*) FROM {schema}.inbox WHERE tenant_id = ANY($1)) AS inbox,
              (SELECT count(DISTINCT event_id) FROM {schema}.inbox
                  WHERE tenant_id = ANY($1)) AS inbox_distinct,
              (SELECT coalesce(sum(value), 0) FROM {schema}.counter
                  WHERE tenant_id = ANY($1)) AS counter_total,
              (SELECT count(*) FROM {schema}.dead_letter) AS dead_letters""",
            tenants,
        )
    finally:
        await conn.close()
    return Counts(**{k: int(v) for k, v in dict(row).items()})


async def wait_until(
    check: Callable[[], Awaitable[bool]], *, within: float = 30.0, interval: float = 0.1
) -> None:
    """Poll ``check`` until it is true; fail the test with a timeout otherwise."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not await check():
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {within}s")
        await asyncio.sleep(interval)


async def tenant_reader(js: Any, tenant: str) -> Any:
    """A throwaway consumer of what the GOVPROJ stream holds for ``tenant`` (its
    ``num_pending`` counts them, duplicates included; bind to it to read them)."""
    return await js.add_consumer(
        "GOVPROJ",
        ConsumerConfig(
            filter_subject=f"govproj.{tenant}.>",
            ack_policy=AckPolicy.NONE,
            inactive_threshold=5.0,
        ),
    )


def worker_command(*args: str) -> list[str]:
    """Run event_worker.py as its own OS process (so SIGKILL is a real crash)."""
    return [sys.executable, "-m", "libs.common.tests.event_worker", *args]


REPO_ROOT = Path(__file__).resolve().parents[3]
