"""The crash matrix: SIGKILL the relay, a consumer, or nats-server at the worst moment.

Relay and consumer crashes run the worker as its own OS process
(event_worker.py) armed with ``GOVPROJ_FAULT``, so the kill is a real one.
The NATS crash SIGKILLs a nats-server this test started on its own port and
store directory, and restarts it on both.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import nats
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.events import FAULT_ENV, ConsumerRunner, OutboxRelay, ensure_streams
from libs.common.testing.infra import NatsProcess, free_port
from libs.common.testing.pytest_plugin import DatabaseUrls
from libs.common.tests.conftest_events import (
    HANDLERS,
    REPO_ROOT,
    SCHEMA,
    counts,
    emit_increments,
    new_tenant,
    tenant_filter,
    tenant_reader,
    wait_until,
    worker_command,
)

pytestmark = pytest.mark.slow


class Worker:
    """One event_worker process; reaped at the end of the test whatever happens."""

    def __init__(self, *args: str, fault: str | None = None) -> None:
        env = {k: v for k, v in os.environ.items() if k != FAULT_ENV}
        if fault:
            env[FAULT_ENV] = fault
        # Its log goes to a file: a pipe nobody reads until the end fills up on a slow
        # machine's retries and blocks the worker, which then never reaches its fault.
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop/reap
        self.proc = subprocess.Popen(
            worker_command(*args),
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=self.log,
        )

    def log_tail(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-3000:]

    async def wait(self, within: float = 30.0) -> int:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while self.proc.poll() is None:
            if loop.time() > deadline:
                raise AssertionError(f"worker did not exit in time; its log:\n{self.log_tail()}")
            await asyncio.sleep(0.05)
        return self.proc.returncode

    async def stop(self) -> dict[str, Any]:
        """SIGTERM (graceful stop) and return the stats it prints."""
        self.proc.send_signal(signal.SIGTERM)
        rc = await self.wait(20)
        out, _ = self.proc.communicate()
        assert rc == 0, self.log_tail()
        return dict(json.loads(out.decode().strip().splitlines()[-1]))

    def reap(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        self.log.close()


@pytest.fixture
def workers() -> Iterator[list[Worker]]:
    started: list[Worker] = []
    yield started
    for w in started:
        w.reap()


async def stream_count(js: Any, tenant: str) -> int:
    """How many messages the GOVPROJ stream holds for ``tenant`` (duplicates would show)."""
    return int((await tenant_reader(js, tenant)).num_pending)


def _consume_args(evdb: DatabaseUrls, nats_url: str, durable: str, tenant: str) -> list[str]:
    return [
        "consume",
        "--db",
        evdb.app,
        "--nats",
        nats_url,
        "--durable",
        durable,
        *(a for f in tenant_filter(tenant) for a in ("--filter", f)),
        "--ack-wait",
        "2",
    ]


async def test_relay_killed_after_publish_before_marking_sent_loses_and_duplicates_nothing(
    evdb: DatabaseUrls,
    app_sessions: async_sessionmaker[AsyncSession],
    nc: Any,
    nats_url: str,
    workers: list[Worker],
) -> None:
    tenant, n = new_tenant(), 30
    await emit_increments(app_sessions, tenant, n)
    crashing = Worker(
        "relay",
        "--db",
        evdb.relay,
        "--nats",
        nats_url,
        "--batch-size",
        "10",
        fault="relay_after_publish",
    )
    workers.append(crashing)
    assert await crashing.wait() == -signal.SIGKILL
    # Published and acknowledged, yet not marked: the crash window.
    assert (await counts(evdb.admin, [tenant])).outbox_sent == 0
    assert await stream_count(nc.jetstream(), tenant) == 10

    relay = Worker("relay", "--db", evdb.relay, "--nats", nats_url, "--batch-size", "10")
    consumer = Worker(*_consume_args(evdb, nats_url, f"crash_{uuid.uuid4().hex[:8]}", tenant))
    workers += [relay, consumer]

    async def done() -> bool:
        return (await counts(evdb.admin, [tenant])).counter_total >= n

    await wait_until(done, within=30)
    relay_stats = await relay.stop()
    await consumer.stop()
    assert relay_stats["duplicates"] == 10  # re-published, dropped by the stream's dedupe
    assert await stream_count(nc.jetstream(), tenant) == n
    c = await counts(evdb.admin, [tenant])
    assert (c.outbox, c.outbox_sent, c.inbox_distinct, c.inbox, c.counter_total) == (n,) * 5


async def test_consumer_killed_after_commit_before_ack_applies_each_event_once(
    evdb: DatabaseUrls,
    app_sessions: async_sessionmaker[AsyncSession],
    relay_sessions: async_sessionmaker[AsyncSession],
    nc: Any,
    nats_url: str,
    workers: list[Worker],
) -> None:
    tenant, n = new_tenant(), 30
    durable = f"crash_{uuid.uuid4().hex[:8]}"
    relay = OutboxRelay(relay_sessions, nc.jetstream(), SCHEMA, poll_interval=0.2)
    relay_task = asyncio.create_task(relay.run())
    try:
        await emit_increments(app_sessions, tenant, n)
        await wait_until(lambda: _all_sent(evdb, tenant, n))
        crashing = Worker(
            *_consume_args(evdb, nats_url, durable, tenant), fault="consumer_after_commit"
        )
        workers.append(crashing)
        assert await crashing.wait() == -signal.SIGKILL
        committed = (await counts(evdb.admin, [tenant])).inbox
        assert committed > 0  # its effects committed; its acks never left

        again = Worker(*_consume_args(evdb, nats_url, durable, tenant))
        workers.append(again)

        async def done() -> bool:
            return (await counts(evdb.admin, [tenant])).counter_total >= n

        await wait_until(done, within=30)
        await asyncio.sleep(2.5)  # past ack_wait: any second application would show now
        stats = await again.stop()
    finally:
        relay.stop()
        await relay_task
    assert stats["duplicates"] == committed  # redelivered, skipped by the inbox
    c = await counts(evdb.admin, [tenant])
    assert (c.outbox, c.inbox_distinct, c.inbox, c.counter_total) == (n,) * 4


async def _all_sent(evdb: DatabaseUrls, tenant: str, n: int) -> bool:
    return (await counts(evdb.admin, [tenant])).outbox_sent == n


@contextlib.asynccontextmanager
async def _own_nats(tmp: Path) -> AsyncIterator[NatsProcess]:
    # sync_interval always: a message JetStream acknowledged is on disk before the
    # PubAck, so SIGKILL cannot take back what the relay already marked sent.
    conf = tmp / "nats.conf"
    conf.write_text("jetstream {\n  sync_interval: always\n}\n")
    server = NatsProcess(
        tmp / "store", free_port(), log_file=tmp / "nats.log", extra_args=("-c", str(conf))
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


async def test_nats_killed_mid_stream_and_restarted_every_event_applied_once(
    evdb: DatabaseUrls,
    app_sessions: async_sessionmaker[AsyncSession],
    relay_sessions: async_sessionmaker[AsyncSession],
    tmp_path: Path,
) -> None:
    tenant, n = new_tenant(), 200
    async with _own_nats(tmp_path) as server:
        nc = await nats.connect(server.url, max_reconnect_attempts=-1, reconnect_time_wait=0.2)
        js = nc.jetstream()
        await ensure_streams(js)
        relay = OutboxRelay(
            relay_sessions,
            js,
            SCHEMA,
            batch_size=20,
            poll_interval=0.2,
            publish_timeout=1.0,
            max_backoff=0.5,
        )
        runner = ConsumerRunner(
            app_sessions,
            server.url,
            schema=SCHEMA,
            durable="nats_crash",
            stream="GOVPROJ",
            filter_subjects=tenant_filter(tenant),
            handlers=HANDLERS,
            backoff=[0.2],
            batch_size=16,
            ack_wait=2.0,
            idle_timeout=0.3,
            reconnect_backoff=0.2,
        )
        tasks = [asyncio.create_task(relay.run()), asyncio.create_task(runner.run())]

        async def emitter() -> None:
            for _ in range(n // 10):
                await emit_increments(app_sessions, tenant, 10)
                await asyncio.sleep(0.03)

        emitting = asyncio.create_task(emitter())
        try:

            async def flowing() -> bool:
                return (await counts(evdb.admin, [tenant])).counter_total >= 30

            await wait_until(flowing, within=20, interval=0.02)
            server.kill()  # mid-stream: the emitter keeps committing meanwhile
            at_kill = (await counts(evdb.admin, [tenant])).counter_total
            await asyncio.sleep(1.5)
            server.start()  # same port, same store
            await emitting

            async def done() -> bool:
                return (await counts(evdb.admin, [tenant])).counter_total >= n

            await wait_until(done, within=60)
            await asyncio.sleep(2.5)  # past ack_wait: a double application would show now
            assert await stream_count(js, tenant) == n
        finally:
            emitting.cancel()
            relay.stop()
            runner.stop()
            await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), timeout=20)
            await nc.close()
    c = await counts(evdb.admin, [tenant])
    assert (c.outbox, c.outbox_sent, c.inbox_distinct, c.inbox, c.counter_total) == (n,) * 5
    assert runner.stats.subscriptions >= 2  # the supervisor re-created the subscription
    assert at_kill < n  # the server really died mid-stream
