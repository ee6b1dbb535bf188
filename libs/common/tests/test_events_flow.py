"""The event path on real PostgreSQL and NATS: outbox -> relay -> JetStream -> consumer.

Each test has its own database and its own tenants (the JetStream server and
its GOVPROJ stream are shared by the run, so tenants keep tests apart).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import pytest
from nats.js.api import DeliverPolicy
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import registry

from libs.common.db import TenantContext, transaction
from libs.common.events import (
    ConsumerRunner,
    ContractError,
    Event,
    OutboxRelay,
    Reject,
    emit,
    from_nats,
    to_nats,
)
from libs.common.events._envelope import make_event
from libs.common.testing.pytest_plugin import DatabaseUrls
from libs.common.tests.conftest_events import (
    ACTOR,
    BROKEN,
    HANDLERS,
    INCREMENTED,
    SCHEMA,
    SERVICE,
    apply_increment,
    counter,
    counts,
    emit_increments,
    new_tenant,
    tenant_filter,
    tenant_reader,
    wait_until,
)


@contextlib.asynccontextmanager
async def running(*workers: OutboxRelay | ConsumerRunner) -> AsyncIterator[None]:
    tasks = [asyncio.create_task(w.run()) for w in workers]
    try:
        yield
    finally:
        for w in workers:
            w.stop()
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=15)


def _runner(
    app_sessions: async_sessionmaker[AsyncSession], nats_url: str, tenants: list[str], **kw: Any
) -> ConsumerRunner:
    options: dict[str, Any] = {
        "schema": SCHEMA,
        "durable": f"evtest_{uuid.uuid4().hex[:8]}",
        "stream": "GOVPROJ",
        "filter_subjects": tenant_filter(*tenants),
        "handlers": HANDLERS,
        "backoff": [0.1],
        "ack_wait": 5.0,
        "idle_timeout": 0.5,
    }
    options.update(kw)
    return ConsumerRunner(app_sessions, nats_url, **options)


def _relay(relay_sessions: async_sessionmaker[AsyncSession], nc: Any, **kw: Any) -> OutboxRelay:
    return OutboxRelay(relay_sessions, nc.jetstream(), SCHEMA, poll_interval=0.5, **kw)


async def test_events_from_many_transactions_are_applied_exactly_once(
    evdb: DatabaseUrls,
    app_sessions: async_sessionmaker[AsyncSession],
    relay_sessions: async_sessionmaker[AsyncSession],
    nc: Any,
    nats_url: str,
) -> None:
    tenants = [new_tenant(), new_tenant()]
    n = 60
    # Two relays (SKIP LOCKED splits the work) and two runners on one durable.
    relays = [_relay(relay_sessions, nc, batch_size=7) for _ in range(2)]
    first = _runner(app_sessions, nats_url, tenants, batch_size=8)
    second = _runner(app_sessions, nats_url, tenants, durable=first.consumer, batch_size=8)
    async with running(*relays, first, second):
        await asyncio.gather(*(emit_increments(app_sessions, t, n) for t in tenants))

        async def done() -> bool:
            return (await counts(evdb.admin, tenants)).counter_total >= 2 * n

        await wait_until(done, within=30)
        await asyncio.sleep(0.5)  # anything extra would show up now
    c = await counts(evdb.admin, tenants)
    assert (c.outbox, c.outbox_sent, c.inbox, c.inbox_distinct, c.counter_total) == (
        2 * n,
        2 * n,
        2 * n,
        2 * n,
        2 * n,
    )
    assert c.dead_letters == 0
    assert sum(r.stats.published for r in relays) == 2 * n


async def test_outbox_is_tenant_scoped_for_services_and_whole_for_the_relay(
    evdb: DatabaseUrls,
    app_sessions: async_sessionmaker[AsyncSession],
    relay_sessions: async_sessionmaker[AsyncSession],
) -> None:
    mine, theirs = new_tenant(), new_tenant()
    await emit_increments(app_sessions, mine, 1)
    await emit_increments(app_sessions, theirs, 1)
    async with transaction(app_sessions, TenantContext.own(mine)) as session:
        seen = (await session.execute(text("SELECT tenant_id FROM evtest.outbox"))).scalars().all()
        assert seen == [mine]
        with pytest.raises(DBAPIError):  # services only append events
            async with session.begin_nested():
                await session.execute(text("UPDATE evtest.outbox SET sent_at = now()"))
    with pytest.raises(DBAPIError):  # RLS: no event in another tenant's name
        async with transaction(app_sessions, TenantContext.own(mine)) as session:
            await emit(
                session,
                tenant=theirs,
                service=SERVICE,
                aggregate="counter",
                event="incremented",
                data={"key": "k", "by": 1},
                actor=ACTOR,
            )
    async with transaction(relay_sessions, None) as session:
        seen = (await session.execute(text("SELECT tenant_id FROM evtest.outbox"))).scalars().all()
        assert sorted(seen) == sorted([mine, theirs])
        with pytest.raises(DBAPIError):  # the relay marks rows; it cannot rewrite them
            async with session.begin_nested():
                await session.execute(text("UPDATE evtest.outbox SET payload = '{}'"))


async def test_untrustworthy_messages_are_dead_lettered_and_later_events_still_flow(
    evdb: DatabaseUrls,
    app_sessions: async_sessionmaker[AsyncSession],
    relay_sessions: async_sessionmaker[AsyncSession],
    nc: Any,
    nats_url: str,
) -> None:
    tenant, other = new_tenant(), new_tenant()
    js = nc.jetstream()
    good_subject = f"govproj.{tenant}.{SERVICE}.counter.incremented"
    _, headers, _payload = to_nats(
        make_event(
            tenant=tenant,
            service=SERVICE,
            aggregate="counter",
            event="incremented",
            data={"key": "k", "by": 1},
            actor=ACTOR,
        )
    )
    # 1. bad JSON with otherwise valid headers (a fresh id so the stream keeps it)
    bad_json = {**headers, "ce-id": str(uuid.uuid4()), "Nats-Msg-Id": ""}
    bad_json.pop("Nats-Msg-Id")
    await js.publish(good_subject, b"{oops", headers=bad_json)
    # 2. no CloudEvents headers at all
    await js.publish(good_subject, b'{"key": "k", "by": 1}')
    # 3. addressed to this tenant, carrying another tenant's data
    forged = make_event(
        tenant=tenant,
        service=SERVICE,
        aggregate="counter",
        event="incremented",
        data={"key": "k", "by": 100, "tenant": other},
        actor=ACTOR,
    )
    subject, fh, fp = to_nats(forged)
    await js.publish(subject, fp, headers=fh)
    # 4. the subject names this tenant, the envelope another
    smuggled = make_event(
        tenant=other,
        service=SERVICE,
        aggregate="counter",
        event="incremented",
        data={"key": "k", "by": 1000},
        actor=ACTOR,
    )
    _, sh, sp = to_nats(smuggled)
    await js.publish(good_subject, sp, headers=sh)

    runner = _runner(app_sessions, nats_url, [tenant])
    async with running(_relay(relay_sessions, nc), runner):
        await emit_increments(app_sessions, tenant, 5)

        async def done() -> bool:
            return (await counts(evdb.admin, [tenant])).counter_total >= 5

        await wait_until(done)
    c = await counts(evdb.admin, [tenant, other])
    assert (c.counter_total, c.inbox, c.dead_letters) == (5, 5, 4)
    conn = await asyncpg.connect(evdb.admin)
    reasons = [r["reason"] for r in await conn.fetch("SELECT reason FROM evtest.dead_letter")]
    await conn.close()
    assert any("payload is not JSON" in r for r in reasons)
    assert any("no headers" in r for r in reasons)
    assert any("data.tenant" in r for r in reasons)
    assert any(f"subject tenant {tenant} differs from ce-tenant {other}" in r for r in reasons)


async def test_a_handler_that_always_fails_is_dead_lettered_after_max_deliver(
    evdb: DatabaseUrls,
    app_sessions: async_sessionmaker[AsyncSession],
    relay_sessions: async_sessionmaker[AsyncSession],
    nc: Any,
    nats_url: str,
) -> None:
    tenant = new_tenant()
    runner = _runner(app_sessions, nats_url, [tenant], max_deliver=3, backoff=[0.1, 0.2])
    async with running(_relay(relay_sessions, nc), runner):
        [broken_id] = await emit_increments(app_sessions, tenant, 1, event="broken")
        await emit_increments(app_sessions, tenant, 3)

        async def dead() -> bool:
            return (await counts(evdb.admin, [tenant])).dead_letters == 1

        await wait_until(dead, within=20)
    c = await counts(evdb.admin, [tenant])
    assert (c.counter_total, c.inbox) == (3, 3)  # the broken one left no inbox row
    conn = await asyncpg.connect(evdb.admin)
    row = await conn.fetchrow("SELECT reason, headers FROM evtest.dead_letter")
    await conn.close()
    assert "handler failed 3 times" in row["reason"]
    assert json.loads(row["headers"])["ce-id"] == broken_id
    assert json.loads(row["headers"])["ce-type"] == BROKEN
    assert runner.stats.retried == 2


async def test_an_event_emitted_in_a_rolled_back_transaction_is_never_published(
    evdb: DatabaseUrls,
    app_sessions: async_sessionmaker[AsyncSession],
    relay_sessions: async_sessionmaker[AsyncSession],
    nc: Any,
    nats_url: str,
) -> None:
    tenant = new_tenant()
    rolled_back: list[str] = []
    with pytest.raises(RuntimeError):
        async with transaction(app_sessions, TenantContext.own(tenant)) as session:
            ev = await emit(
                session,
                tenant=tenant,
                service=SERVICE,
                aggregate="counter",
                event="incremented",
                data={"key": "k", "by": 1},
                actor=ACTOR,
            )
            rolled_back.append(ev.id)
            raise RuntimeError("the state change failed")
    [kept] = await emit_increments(app_sessions, tenant, 1)
    async with running(_relay(relay_sessions, nc), _runner(app_sessions, nats_url, [tenant])):

        async def done() -> bool:
            return (await counts(evdb.admin, [tenant])).counter_total == 1

        await wait_until(done)
    c = await counts(evdb.admin, [tenant])
    assert (c.outbox, c.inbox) == (1, 1)
    # And the stream itself holds only the committed one.
    js = nc.jetstream()
    info = await tenant_reader(js, tenant)
    sub = await js.pull_subscribe_bind(consumer=info.name, stream="GOVPROJ")
    msgs = await sub.fetch(10, timeout=1)
    assert [m.headers["ce-id"] for m in msgs] == [kept]
    assert rolled_back[0] != kept


async def test_trace_context_crosses_the_outbox_and_nats(
    evdb: DatabaseUrls,
    app_sessions: async_sessionmaker[AsyncSession],
    relay_sessions: async_sessionmaker[AsyncSession],
    nc: Any,
    nats_url: str,
) -> None:
    from opentelemetry import trace

    from libs.common.testing.tracing import recorded_spans

    exporter = recorded_spans()
    tracer = trace.get_tracer("test")
    tenant = new_tenant()
    with tracer.start_as_current_span("POST /projects") as request_span:
        async with transaction(app_sessions, TenantContext.own(tenant)) as session:
            ev = await emit(
                session,
                tenant=tenant,
                service=SERVICE,
                aggregate="counter",
                event="incremented",
                data={"key": "k", "by": 1},
                actor=ACTOR,
            )
    trace_id = format(request_span.get_span_context().trace_id, "032x")
    assert ev.traceparent is not None and trace_id in ev.traceparent
    async with running(_relay(relay_sessions, nc), _runner(app_sessions, nats_url, [tenant])):

        async def done() -> bool:
            return (await counts(evdb.admin, [tenant])).counter_total == 1

        await wait_until(done)
    consumed = [s for s in exporter.get_finished_spans() if s.kind == trace.SpanKind.CONSUMER]
    assert consumed and format(consumed[0].context.trace_id, "032x") == trace_id


class _CounterRow:
    """An ORM view of the test counter: handlers that only add objects rely on the commit's flush."""

    tenant_id: str
    key: str
    value: int


registry().map_imperatively(_CounterRow, counter)


async def _orm_increment(session: AsyncSession, event: Any) -> None:
    row = _CounterRow()
    row.tenant_id, row.key, row.value = event.tenant, event.id, 1
    session.add(row)  # no flush: the runner's commit must write it


async def test_orm_changes_left_to_the_commit_survive_a_batch_of_several_tenants(
    evdb: DatabaseUrls,
    app_sessions: async_sessionmaker[AsyncSession],
    relay_sessions: async_sessionmaker[AsyncSession],
    nc: Any,
    nats_url: str,
) -> None:
    # A batch holds runs of several tenants; moving to the next tenant's context must
    # not drop the previous tenant's unflushed ORM changes (their inbox rows commit).
    tenants = [new_tenant(), new_tenant(), new_tenant()]
    n = 20
    for _ in range(n):  # interleaved, so batches alternate tenants
        for t in tenants:
            await emit_increments(app_sessions, t, 1)
    runner = _runner(
        app_sessions,
        nats_url,
        tenants,
        batch_size=64,
        handlers={"govproj.evtest.counter.incremented.v1": _orm_increment},
    )
    async with running(_relay(relay_sessions, nc), runner):

        async def done() -> bool:
            return (await counts(evdb.admin, tenants)).inbox >= len(tenants) * n

        await wait_until(done, within=30)
    c = await counts(evdb.admin, tenants)
    assert (c.inbox, c.counter_total) == (len(tenants) * n, len(tenants) * n)


async def test_emit_refuses_an_event_without_a_contract_or_that_breaks_it(
    app_sessions: async_sessionmaker[AsyncSession],
) -> None:
    tenant = new_tenant()
    async with transaction(app_sessions, TenantContext.own(tenant)) as session:
        with pytest.raises(ContractError, match="has no contract"):
            await emit(
                session,
                tenant=tenant,
                service=SERVICE,
                aggregate="counter",
                event="reset",
                data={"key": "k"},
                actor=ACTOR,
            )
        with pytest.raises(ContractError, match="by: Input should be a valid integer"):
            await emit(
                session,
                tenant=tenant,
                service=SERVICE,
                aggregate="counter",
                event="incremented",
                data={"key": "k", "by": "1"},
                actor=ACTOR,
            )
        rows = await session.execute(text("SELECT count(*) FROM evtest.outbox"))
        assert rows.scalar_one() == 0


async def test_events_that_break_their_contract_or_are_forged_are_rejected_before_the_handler(
    evdb: DatabaseUrls,
    app_sessions: async_sessionmaker[AsyncSession],
    relay_sessions: async_sessionmaker[AsyncSession],
    nc: Any,
    nats_url: str,
) -> None:
    """Published around emit() (as a buggy or hostile producer would): the consumer holds the line."""
    tenant = new_tenant()
    js = nc.jetstream()

    def event(data: dict[str, Any], **over: Any) -> tuple[str, dict[str, str], bytes]:
        ev = make_event(
            tenant=tenant,
            service=SERVICE,
            aggregate="counter",
            event="incremented",
            data=data,
            actor={**ACTOR, "tenant": tenant},
        )
        return to_nats(dataclasses.replace(ev, **over))

    # 1. an amount as a string: the contract says integer
    s1, h1, p1 = event({"key": "k", "by": "100"})
    # 2. the right subject and type, but the source of another producer
    s2, h2, p2 = event({"key": "k", "by": 1000}, source="/govproj/registry")
    # 3. another producer's type on this producer's subject
    s3, h3, p3 = event(
        {"key": "k", "by": 10_000},
        type="govproj.evtest.counter.broken.v1",
    )
    for subject, headers, payload in ((s1, h1, p1), (s2, h2, p2), (s3, h3, p3)):
        await js.publish(subject, payload, headers=headers)

    runner = _runner(app_sessions, nats_url, [tenant])
    async with running(_relay(relay_sessions, nc), runner):
        await emit_increments(app_sessions, tenant, 2)

        async def done() -> bool:
            c = await counts(evdb.admin, [tenant])
            return c.counter_total >= 2 and runner.stats.rejected >= 3

        await wait_until(done)
    c = await counts(evdb.admin, [tenant])
    # Nothing of the three applied; each left its inbox row, so a redelivery is skipped.
    assert (c.counter_total, c.inbox) == (2, 5)
    conn = await asyncpg.connect(evdb.admin)
    reasons = [
        r["reason"]
        for r in await conn.fetch(
            "SELECT reason FROM evtest.dead_letter WHERE subject LIKE $1", f"govproj.{tenant}.%"
        )
    ]
    await conn.close()
    assert any(
        r.startswith("rejected: contract: by: Input should be a valid integer") for r in reasons
    )
    assert any(
        "rejected: forged: govproj.evtest.counter.incremented.v1 is evtest's, "
        "but ce-source is /govproj/registry" in r
        for r in reasons
    ), reasons
    assert any(
        "rejected: forged: govproj.evtest.counter.broken.v1 travels on "
        "govproj.{tenant}.evtest.counter.broken" in r
        for r in reasons
    ), reasons


def test_a_handler_nobody_can_trigger_is_reported_when_the_consumer_is_built(
    app_sessions: async_sessionmaker[AsyncSession],
    nats_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _runner(
        app_sessions,
        nats_url,
        [new_tenant()],
        handlers={
            **HANDLERS,
            "govproj.evtest.counter.reset.v1": HANDLERS[INCREMENTED],  # nobody declares it
            "govproj.registry.tenant.created.v1": HANDLERS[INCREMENTED],  # not on the filter
        },
    )
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert any("counter.reset.v1 can never fire (nobody declares" in e for e in errors), errors
    assert any("tenant.created.v1 can never fire (not on GOVPROJ" in e for e in errors), errors


async def test_the_actor_and_its_name_travel_with_the_event(
    app_sessions: async_sessionmaker[AsyncSession],
    relay_sessions: async_sessionmaker[AsyncSession],
    nc: Any,
) -> None:
    """As actor_of() names a user: the name, a % in the id, Chinese text, all come back."""
    tenant = new_tenant()
    actor = {
        "type": "user",
        "id": "u-100%-sure",
        "name": "张三（郁南县教育局）",
        "tenant": tenant,
        "roles": ["unit_officer"],
    }
    async with transaction(app_sessions, TenantContext.own(tenant)) as session:
        sent = await emit(
            session,
            tenant=tenant,
            service=SERVICE,
            aggregate="counter",
            event="incremented",
            data={"key": "k", "by": 1},
            actor=actor,
        )
    sub = await nc.jetstream().subscribe(
        sent.subject, ordered_consumer=True, deliver_policy=DeliverPolicy.ALL
    )
    async with running(_relay(relay_sessions, nc)):
        msg = await sub.next_msg(timeout=10)
    await sub.unsubscribe()
    assert all(v.isascii() and '"' not in v for v in msg.headers.values())
    received = from_nats(msg.subject, msg.headers, msg.data)
    assert received.actor == actor
    assert received == sent


async def test_a_rejected_event_is_dead_lettered_at_once_with_its_reason_and_changes_nothing(
    evdb: DatabaseUrls,
    app_sessions: async_sessionmaker[AsyncSession],
    relay_sessions: async_sessionmaker[AsyncSession],
    nc: Any,
    nats_url: str,
) -> None:
    async def apply_unless_too_big(session: AsyncSession, event: Event) -> None:
        # The effect is written first: the rejection must roll it back.
        await apply_increment(session, event)
        if event.data["key"] == "bad":
            raise Reject("counter key 'bad' is refused by this service")

    tenant = new_tenant()
    runner = _runner(
        app_sessions,
        nats_url,
        [tenant],
        handlers={**HANDLERS, INCREMENTED: apply_unless_too_big},
        max_deliver=5,
    )
    async with running(_relay(relay_sessions, nc), runner):
        [bad_id] = await emit_increments(app_sessions, tenant, 1, key="bad")
        await emit_increments(app_sessions, tenant, 2)

        async def settled() -> bool:
            c = await counts(evdb.admin, [tenant])
            return c.dead_letters == 1 and c.counter_total == 2

        await wait_until(settled, within=20)
    c = await counts(evdb.admin, [tenant])
    # Nothing of the rejected event's effect; its inbox row makes a redelivery a no-op.
    assert (c.counter_total, c.inbox, c.dead_letters) == (2, 3, 1)
    conn = await asyncpg.connect(evdb.admin)
    row = await conn.fetchrow("SELECT reason, headers FROM evtest.dead_letter")
    await conn.close()
    assert row["reason"] == "rejected: counter key 'bad' is refused by this service"
    assert json.loads(row["headers"])["ce-id"] == bad_id
    # Rejected on its first delivery: never retried.
    assert (runner.stats.rejected, runner.stats.retried) == (1, 0)
