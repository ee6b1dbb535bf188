"""A consumer whose filter set changes replays the stream; its inbox keeps every effect once.

The upgrade drill found replicas new in a release that never received the
history of their subject: the subject joined an existing durable, which
delivers it only from then on. The durable is now named after the filter set,
so a changed set binds a new durable that starts at the beginning of the
stream, and the inbox (keyed by the consumer's unchanged name) skips what was
applied before. Real PostgreSQL and NATS, as in test_events_flow.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import nats
import pytest
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.events import ConsumerRunner, durable_name, make_event, to_nats
from libs.common.events._durables import retire_stale_durables, stale_durables
from libs.common.testing.pytest_plugin import DatabaseUrls
from libs.common.tests.conftest_events import (
    ACTOR,
    HANDLERS,
    SCHEMA,
    SERVICE,
    counts,
    new_tenant,
    tenant_filter,
    wait_until,
)


@pytest.fixture
def js(nc: Any) -> Any:
    return nc.jetstream()


async def _publish_increments(js: Any, tenant: str, n: int) -> None:
    """``n`` events of ``tenant`` straight to the stream (what the relays published)."""
    for _ in range(n):
        event = make_event(
            tenant=tenant,
            service=SERVICE,
            aggregate="counter",
            event="incremented",
            data={"key": "k", "by": 1},
            actor={**ACTOR, "tenant": tenant},
        )
        subject, headers, payload = to_nats(event)
        await js.publish(subject, payload, headers=headers)


def _runner(
    sessions: async_sessionmaker[AsyncSession], nats_url: str, name: str, filters: list[str]
) -> ConsumerRunner:
    return ConsumerRunner(
        sessions,
        nats_url,
        schema=SCHEMA,
        durable=name,
        stream="GOVPROJ",
        filter_subjects=filters,
        handlers=HANDLERS,
        backoff=[0.1],
        ack_wait=5.0,
        idle_timeout=0.5,
    )


@contextlib.asynccontextmanager
async def _running(runner: ConsumerRunner) -> AsyncIterator[None]:
    task = asyncio.create_task(runner.run())
    try:
        yield
    finally:
        runner.stop()
        await asyncio.wait_for(task, timeout=15)


async def _durables(js: Any) -> set[str]:
    return {info.name for info in await js.consumers_info("GOVPROJ")}


async def test_a_consumer_that_gains_a_subject_gets_its_history_and_applies_nothing_twice(
    evdb: DatabaseUrls, app_sessions: async_sessionmaker[AsyncSession], js: Any, nats_url: str
) -> None:
    old_tenant, new_tenant_ = new_tenant(), new_tenant()
    name = f"evtest_{uuid.uuid4().hex[:8]}"
    old_filters = tenant_filter(old_tenant)
    # What 0.1.0 left behind: a durable named after the consumer alone.
    await js.add_consumer(
        "GOVPROJ",
        ConsumerConfig(
            durable_name=name,
            filter_subject=old_filters[0],
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
        ),
    )
    replayed, history = 600, 40
    await _publish_increments(js, old_tenant, replayed)
    await _publish_increments(js, new_tenant_, history)  # the new subject's past

    before = _runner(app_sessions, nats_url, name, old_filters)
    async with _running(before):

        async def old_applied() -> bool:
            return (await counts(evdb.admin, [old_tenant])).counter_total == replayed

        await wait_until(old_applied, within=60)
    assert name not in await _durables(js)  # the bare 0.1.0 durable was retired
    assert (await counts(evdb.admin, [new_tenant_])).counter_total == 0

    # The next release subscribes the same consumer to one more subject.
    after = _runner(app_sessions, nats_url, name, [*old_filters, *tenant_filter(new_tenant_)])
    assert after.consumer == name and after.durable != before.durable
    started = time.monotonic()
    async with _running(after):

        async def replayed_all() -> bool:
            return after.stats.applied + after.stats.duplicates >= replayed + history

        await wait_until(replayed_all, within=60)
        replay_s = time.monotonic() - started
        await _publish_increments(js, new_tenant_, 1)  # and it goes on with what comes next

        async def caught_up() -> bool:
            return (await counts(evdb.admin, [new_tenant_])).counter_total == history + 1

        await wait_until(caught_up, within=30)
        await asyncio.sleep(1.0)  # a second application would show now

    old = await counts(evdb.admin, [old_tenant])
    new = await counts(evdb.admin, [new_tenant_])
    assert old.counter_total == replayed, old  # the replay applied nothing twice
    assert new.counter_total == history + 1, new  # the new subject's history is there
    assert (old.inbox, old.inbox_distinct) == (replayed, replayed)
    assert (new.inbox, new.inbox_distinct) == (history + 1, history + 1)
    assert old.dead_letters == 0
    # The cost of the replay: each applied event once through the inbox, no handler.
    assert after.stats.duplicates == replayed and after.stats.applied == history + 1
    print(f"replayed {replayed} applied events in {replay_s:.1f} s")
    durables = await _durables(js)
    assert after.durable in durables and before.durable not in durables


async def test_a_durable_still_pulled_from_is_kept_until_its_reader_is_gone(
    js: Any, nats_url: str
) -> None:
    name = f"evtest_{uuid.uuid4().hex[:8]}"
    # Tenants nobody publishes for: the reader's pull request waits.
    old_filter, new_filter = tenant_filter(new_tenant()), tenant_filter(new_tenant())
    old, current = durable_name(name, old_filter), durable_name(name, new_filter)
    for durable, filters in ((old, old_filter), (current, new_filter)):
        await js.add_consumer(
            "GOVPROJ",
            ConsumerConfig(
                durable_name=durable, filter_subject=filters[0], ack_policy=AckPolicy.EXPLICIT
            ),
        )
    # A replica of the previous release, waiting on its durable.
    reader = await nats.connect(nats_url)
    try:
        sub = await reader.jetstream().pull_subscribe_bind(durable=old, stream="GOVPROJ")
        pulling = asyncio.ensure_future(sub.fetch(1, timeout=5))
        await asyncio.sleep(0.3)
        assert await retire_stale_durables(js, "GOVPROJ", name, current) == []
        with contextlib.suppress(TimeoutError, nats.errors.TimeoutError):
            await pulling
    finally:
        await reader.close()
    assert await retire_stale_durables(js, "GOVPROJ", name, current) == [old]
    assert old not in await _durables(js) and current in await _durables(js)
    await js.delete_consumer("GOVPROJ", current)


def test_only_the_consumers_own_previous_durables_are_stale() -> None:
    current = durable_name("budget", ["govproj.*.registry.tenant.>", "govproj.*.archive.>"])
    others = [
        "budget_finance",  # another consumer of the service
        "budget_finance-0123abcd",
        "budget-test-0123abcd",  # a test's consumer
        "budgets-0123abcd",
        "budget-0123abcd0",
    ]
    assert stale_durables("budget", current, [current, "budget", "budget-0123abcd", *others]) == [
        "budget",
        "budget-0123abcd",
    ]


def test_the_durable_name_follows_the_filter_set_not_its_order() -> None:
    a, b = "govproj.*.registry.tenant.>", "govproj.*.archive.document.>"
    assert durable_name("archive", [a, b]) == durable_name("archive", [b, a])
    assert durable_name("archive", [a]) != durable_name("archive", [a, b])
    assert durable_name("archive", [a]).startswith("archive-")
