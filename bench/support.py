"""What the platform benchmarks share: the raw-commit baseline and a durable platform.

Every service benchmark compares its own path against the same yardstick (single-row
durable commits on the same PostgreSQL) and runs against the same infrastructure
(durable PostgreSQL, JetStream with ``sync_interval: always``, the services as real
processes), so both live here once and the numbers stay comparable across benches.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]

from govproj.dev.demo import DEMO_TENANTS
from libs.common.db.migrations import upgrade
from libs.common.settings import SERVICES
from libs.common.testing.infra import NatsProcess, PostgresProcess, free_port
from libs.common.testing.platform import RunningPlatform, run_platform
from libs.common.testing.pytest_plugin import DatabaseUrls, make_database

__all__ = ["DurablePlatform", "durable_platform", "raw_commits", "seed_demo_tenants"]


async def raw_commits(dsn: str, writers: int, seconds: float, *, doc: str) -> float:
    """Single-row INSERT + COMMIT (autocommit statement) per iteration, durable: commits/s."""
    conn = await asyncpg.connect(dsn)
    await conn.execute("CREATE TABLE IF NOT EXISTS bench_raw (id bigserial PRIMARY KEY, doc jsonb)")
    await conn.close()
    done = 0

    async def writer() -> None:
        nonlocal done
        c = await asyncpg.connect(dsn)
        # The baseline is only a baseline if every commit reaches the disk.
        assert await c.fetchval("SHOW synchronous_commit") == "on"
        assert await c.fetchval("SHOW fsync") == "on"
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            await c.execute("INSERT INTO bench_raw (doc) VALUES ($1::jsonb)", doc)
            done += 1
        await c.close()

    start = time.monotonic()
    await asyncio.gather(*(writer() for _ in range(writers)))
    return done / (time.monotonic() - start)


@dataclass(frozen=True)
class DurablePlatform:
    """The running bench platform: its databases, its NATS server and its services."""

    urls: DatabaseUrls
    nats_url: str
    running: RunningPlatform


@contextmanager
def durable_platform(
    name: str,
    *,
    services: tuple[str, ...] = SERVICES,
    wrap_urls: Callable[[DatabaseUrls], dict[str, str]] | None = None,
) -> Iterator[DurablePlatform]:
    """Durable PostgreSQL and JetStream in a fresh temp folder, ``services`` migrated and started.

    ``wrap_urls`` may give the services other ``app_url``/``relay_url`` than the
    database's own (bench/roundtrips.py puts a counting proxy in between).
    Both servers are stopped when the block ends, however it ends.
    """
    tmp = Path(tempfile.mkdtemp(prefix=f"govproj-bench-{name}-"))
    pg = PostgresProcess(tmp / "pg", free_port(), durable=True).start()
    conf = tmp / "nats.conf"
    conf.write_text("jetstream {\n  sync_interval: always\n}\n")
    nats_server = NatsProcess(tmp / "nats", free_port(), extra_args=("-c", str(conf))).start()
    try:
        urls = make_database(pg.admin_url, "bench")
        for service in services:
            upgrade(service, urls.owner)
        served = {"app_url": urls.app, "relay_url": urls.relay}
        if wrap_urls is not None:
            served.update(wrap_urls(urls))
        with run_platform(
            tmp / "platform",
            owner_url=urls.owner,
            **served,
            nats_url=nats_server.url,
            services=services,
        ) as running:
            yield DurablePlatform(urls=urls, nats_url=nats_server.url, running=running)
    finally:
        nats_server.stop()
        pg.stop()


def seed_demo_tenants(running: RunningPlatform) -> dict[str, str]:
    """Register the demo jurisdictions through the registry; the platform admin's headers."""
    admin = running.headers("440000", "platform_admin", user="admin")
    with running.client("registry") as registry:
        for code, name, level, parent in DEMO_TENANTS:
            registry.post(
                "/v1/tenants",
                headers=admin,
                json={"code": code, "name": name, "level": level, "parent_code": parent},
            )
    return admin
