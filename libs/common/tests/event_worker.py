"""A relay or a consumer as its own OS process, for crash tests.

    python -m libs.common.tests.event_worker relay --db URL --nats URL [--batch-size N]
    python -m libs.common.tests.event_worker consume --db URL --nats URL --durable D \
        --filter SUBJECT [--filter ...] [--ack-wait S] [--batch-size N]

SIGTERM stops it gracefully and it prints its stats as JSON on stdout. With
``GOVPROJ_FAULT`` set (see libs.common.events._fault) it SIGKILLs itself at
that point instead.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import logging
import signal
import sys

import nats

from libs.common.db import create_engine, create_sessionmaker
from libs.common.events import ConsumerRunner, OutboxRelay
from libs.common.tests.conftest_events import HANDLERS, SCHEMA


async def _relay(args: argparse.Namespace) -> dict[str, object]:
    nc = await nats.connect(args.nats, max_reconnect_attempts=-1, reconnect_time_wait=0.2)
    engine = create_engine(args.db, pool_size=2)
    relay = OutboxRelay(
        create_sessionmaker(engine),
        nc.jetstream(),
        SCHEMA,
        batch_size=args.batch_size,
        poll_interval=0.2,
        publish_timeout=2.0,
        max_backoff=1.0,
    )
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, relay.stop)
    try:
        await relay.run()
    finally:
        await nc.close()
        await engine.dispose()
    return dataclasses.asdict(relay.stats)


async def _consume(args: argparse.Namespace) -> dict[str, object]:
    engine = create_engine(args.db, pool_size=2)
    runner = ConsumerRunner(
        create_sessionmaker(engine),
        args.nats,
        schema=SCHEMA,
        durable=args.durable,
        stream="GOVPROJ",
        filter_subjects=args.filter,
        handlers=HANDLERS,
        max_deliver=3,
        backoff=[0.2],
        batch_size=args.batch_size,
        ack_wait=args.ack_wait,
        idle_timeout=0.5,
        reconnect_backoff=0.2,
    )
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, runner.stop)
    try:
        await runner.run()
    finally:
        await engine.dispose()
    return dataclasses.asdict(runner.stats)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="event_worker")
    parser.add_argument("role", choices=["relay", "consume"])
    parser.add_argument("--db", required=True)
    parser.add_argument("--nats", required=True)
    parser.add_argument("--durable", default="evtest")
    parser.add_argument("--filter", action="append", default=[])
    parser.add_argument("--batch-size", type=int, default=10)
    parser.add_argument("--ack-wait", type=float, default=2.0)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    stats = asyncio.run(_relay(args) if args.role == "relay" else _consume(args))
    print(json.dumps(stats), flush=True)


if __name__ == "__main__":
    main()
