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
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]

from govproj.dev.demo import DEMO_TENANTS
from libs.common.db.migrations import upgrade
from libs.common.settings import SERVICES
from libs.common.testing.infra import NatsProcess, PostgresProcess, free_port
from libs.common.testing.platform import RunningPlatform, run_platform
from libs.common.testing.pytest_plugin import DatabaseUrls, make_database

__all__ = [
    "DurablePlatform",
    "durable_platform",
    "rate_and_latency",
    "raw_commits",
    "seed_demo_tenants",
]


def rate_and_latency(
    latencies: list[float], done: int, errors: int, elapsed: float, *, counted: str = "requests"
) -> dict[str, Any]:
    """Requests/s and p50/p95 in ms of one measured loop (``done`` is stored as ``counted``)."""
    latencies.sort()
    return {
        "per_s": done / elapsed,
        counted: done,
        "errors": errors,
        "p50_ms": 1000 * latencies[len(latencies) // 2] if latencies else None,
        "p95_ms": 1000 * latencies[int(len(latencies) * 0.95)] if latencies else None,
    }


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
    statement_stats: bool = False,
    extra_env: Mapping[str, str] | None = None,
) -> Iterator[DurablePlatform]:
    """Durable PostgreSQL and JetStream in a fresh temp folder, ``services`` migrated and started.

    ``statement_stats`` loads ``pg_stat_statements`` (a restart of the fresh
    server) so a bench can count the statements a request costs; ``extra_env``
    is given to every service process. Both servers are stopped when the block
    ends, however it ends.
    """
    tmp = Path(tempfile.mkdtemp(prefix=f"govproj-bench-{name}-"))
    pg = PostgresProcess(tmp / "pg", free_port(), durable=True).start()
    if statement_stats:
        asyncio.run(_preload_statement_stats(pg.admin_url))
        pg.stop()
        pg.start()
    conf = tmp / "nats.conf"
    conf.write_text("jetstream {\n  sync_interval: always\n}\n")
    nats_server = NatsProcess(tmp / "nats", free_port(), extra_args=("-c", str(conf))).start()
    try:
        urls = make_database(pg.admin_url, "bench")
        for service in services:
            upgrade(service, urls.owner)
        with run_platform(
            tmp / "platform",
            app_url=urls.app,
            owner_url=urls.owner,
            relay_url=urls.relay,
            nats_url=nats_server.url,
            services=services,
            extra_env=extra_env,
        ) as running:
            yield DurablePlatform(urls=urls, nats_url=nats_server.url, running=running)
    finally:
        nats_server.stop()
        pg.stop()


async def _preload_statement_stats(admin_url: str) -> None:
    conn = await asyncpg.connect(admin_url)
    await conn.execute("ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'")
    await conn.close()


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
