"""CPU per event of the outbox relay and of the consumer, each alone, on a preloaded outbox.

    python -m bench.events_cpu [--events 2000] [--batch 64]

bench/events.py measures the pipeline flat out, where a process's CPU per
event follows the batch sizes the minute's rate gives it. Here the batch size
is fixed: the outbox is filled first, then the relay runs ``relay_once`` until
it is empty, then the consumer runs until every event is applied (the bench's
handler), each timed by this process's CPU time. PostgreSQL runs without
fsync: the figures are the Python work, not the disk's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script: make the repo importable
    sys.path.insert(0, str(REPO))

import nats  # noqa: E402

from bench.events import PAYLOAD, _emit_one, bench_handler  # noqa: E402
from libs.common.db import create_engine, create_sessionmaker  # noqa: E402
from libs.common.events import ConsumerRunner, OutboxRelay, ensure_streams  # noqa: E402
from libs.common.testing.infra import NatsProcess, PostgresProcess, free_port  # noqa: E402
from libs.common.testing.pytest_plugin import make_database  # noqa: E402
from libs.common.tests.conftest_events import (  # noqa: E402
    INCREMENTED,
    SCHEMA,
    SERVICE,
    create_schema,
)

_EMITTERS = 8


async def _fill(sessions: Any, events: int) -> None:
    async def emitter(n: int) -> None:
        for _ in range(n):
            await _emit_one(sessions, PAYLOAD)

    await asyncio.gather(*(emitter(events // _EMITTERS) for _ in range(_EMITTERS)))


async def _relay_cpu(sessions: Any, js: Any, batch: int) -> tuple[float, int]:
    relay = OutboxRelay(sessions, js, SCHEMA, batch_size=batch)
    start = time.process_time()
    sent = 0
    while (result := await relay.relay_once()).claimed:
        sent += result.sent
    return (time.process_time() - start) * 1000 / sent, sent


async def _consumer_cpu(sessions: Any, nats_url: str, batch: int, events: int) -> float:
    runner = ConsumerRunner(
        sessions,
        nats_url,
        schema=SCHEMA,
        durable="cpu",
        stream="GOVPROJ",
        filter_subjects=[f"govproj.*.{SERVICE}.>"],
        handlers={INCREMENTED: bench_handler},
        batch_size=batch,
        max_ack_pending=20_000,
    )
    start = time.process_time()
    task = asyncio.create_task(runner.run())
    while runner.stats.applied + runner.stats.duplicates < events:  # noqa: ASYNC110 - a poll
        await asyncio.sleep(0.05)
    cpu = (time.process_time() - start) * 1000 / events
    runner.stop()
    await task
    return cpu


async def run(events: int, batch: int) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="govproj-bench-cpu-"))
    pg = PostgresProcess(tmp / "pg", free_port(), durable=False)
    nats_server = NatsProcess(tmp / "nats", free_port())
    try:
        pg.start()
        nats_server.start()
        urls = make_database(pg.admin_url, "bench")
        create_schema(urls.owner)
        nc = await nats.connect(nats_server.url)
        await ensure_streams(nc.jetstream())
        app = create_engine(urls.app, pool_size=_EMITTERS)
        relay_engine = create_engine(urls.relay, pool_size=2)
        try:
            await _fill(create_sessionmaker(app), events)
            relay_ms, sent = await _relay_cpu(
                create_sessionmaker(relay_engine), nc.jetstream(), batch
            )
            consumer_ms = await _consumer_cpu(
                create_sessionmaker(app), nats_server.url, batch, sent
            )
        finally:
            await nc.close()
            await app.dispose()
            await relay_engine.dispose()
    finally:
        nats_server.stop()
        pg.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return {
        "events": sent,
        "batch": batch,
        "relay_cpu_ms": relay_ms,
        "consumer_cpu_ms": consumer_ms,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=64)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.events, args.batch))))


if __name__ == "__main__":
    main()
