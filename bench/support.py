"""What the platform benchmarks share: the raw-commit baseline, a durable platform, the results file.

Every service benchmark compares its own path against the same yardstick (single-row
durable commits on the same PostgreSQL) and runs against the same infrastructure
(durable PostgreSQL, JetStream with ``sync_interval: always``, the services as real
processes), so both live here once and the numbers stay comparable across benches.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]

from libs.common.settings import SERVICES
from libs.common.testing.infra import NatsProcess, PostgresProcess, free_port
from libs.common.testing.platform import RunningPlatform, run_platform
from libs.common.testing.pytest_plugin import DatabaseUrls
from libs.common.testing.stack import seed_demo_tenants, upgraded_database

__all__ = [
    "RESULTS",
    "DurablePlatform",
    "arg_parser",
    "commit_baseline",
    "durable_platform",
    "machine",
    "rate_and_latency",
    "raw_commits",
    "seed_demo_tenants",  # libs.common.testing.stack's, where the benches have always found it
    "stack_servers",
    "write_results",
]

RESULTS = Path(__file__).resolve().parent / "results"
"""Where every bench writes its figures (``<name>.json``; not committed)."""


def arg_parser(doc: str | None) -> argparse.ArgumentParser:
    """A bench's command line; its module docstring, as written, says what it measures."""
    return argparse.ArgumentParser(
        description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )


def machine() -> dict[str, Any]:
    """What the figures were measured on, for the results file."""
    return {"python": platform.python_version(), "cpus": os.cpu_count()}


def write_results(name: str, results: Mapping[str, Any], out: Path | None = None) -> Path:
    """Write ``results`` to ``out`` (default ``bench/results/<name>.json``) and say where.

    Values JSON has no type for (dates, paths) are written as their text.
    """
    out = out or RESULTS / f"{name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str) + "\n")
    print(f"written {out}")
    return out


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


async def commit_baseline(dsn: str, writers: int, seconds: float, *, doc: str) -> float:
    """Stage (i) of the service benches: :func:`raw_commits`, announced and its rate printed."""
    print(f"(i)   raw PostgreSQL durable commits, {writers} connections ...", flush=True)
    rate = await raw_commits(dsn, writers, seconds, doc=doc)
    print(f"      {rate:,.0f} commits/s", flush=True)
    return rate


@dataclass(frozen=True)
class DurablePlatform:
    """The running bench platform: its databases, its NATS server and its services."""

    urls: DatabaseUrls
    nats_url: str
    running: RunningPlatform


@contextmanager
def stack_servers(
    root: Path,
    *,
    durable: bool = True,
    nats_log: Path | None = None,
    nats_fsync: bool = True,
) -> Iterator[tuple[PostgresProcess, NatsProcess]]:
    """PostgreSQL and NATS JetStream in ``root`` (durable: fsync'd, ``sync_interval: always``).

    ``nats_fsync=False`` leaves nats-server at its default sync interval while
    PostgreSQL stays durable: an experiment only (the platform requires
    ``always``), to show how much JetStream's fsync bounds a path.
    Both are stopped when the block ends, however it ends.
    """
    pg = PostgresProcess(root / "pg", free_port(), durable=durable).start()
    conf = root / "nats.conf"
    conf.write_text("jetstream {\n  sync_interval: always\n}\n" if durable and nats_fsync else "")
    nats_server = NatsProcess(
        root / "nats", free_port(), log_file=nats_log, extra_args=("-c", str(conf))
    ).start()
    try:
        yield pg, nats_server
    finally:
        nats_server.stop()
        pg.stop()


@contextmanager
def durable_platform(
    name: str,
    *,
    services: tuple[str, ...] = SERVICES,
    statement_stats: bool = False,
    extra_env: Mapping[str, str] | None = None,
    wrap_urls: Callable[[DatabaseUrls], dict[str, str]] | None = None,
    nats_fsync: bool = True,
) -> Iterator[DurablePlatform]:
    """Durable PostgreSQL and JetStream in a fresh temp folder, ``services`` migrated and started.

    ``statement_stats`` loads ``pg_stat_statements`` (a restart of the fresh
    server) so a bench can count the statements a request costs; ``extra_env``
    is given to every service process; ``wrap_urls`` may give the services other
    ``app_url``/``relay_url`` than the database's own (bench/roundtrips.py puts a
    counting proxy in between); ``nats_fsync`` is :func:`stack_servers`'. Both
    servers are stopped when the block ends, however it ends.
    """
    tmp = Path(tempfile.mkdtemp(prefix=f"govproj-bench-{name}-"))
    with stack_servers(tmp, nats_fsync=nats_fsync) as (pg, nats_server):
        if statement_stats:
            asyncio.run(_preload_statement_stats(pg.admin_url))
            pg.stop()
            pg.start()
        urls = upgraded_database(pg.admin_url, "bench", services=services)
        served = {"app_url": urls.app, "relay_url": urls.relay}
        if wrap_urls is not None:
            served.update(wrap_urls(urls))
        with run_platform(
            tmp / "platform",
            owner_url=urls.owner,
            **served,
            nats_url=nats_server.url,
            services=services,
            extra_env=extra_env,
        ) as running:
            yield DurablePlatform(urls=urls, nats_url=nats_server.url, running=running)


async def _preload_statement_stats(admin_url: str) -> None:
    conn = await asyncpg.connect(admin_url)
    await conn.execute("ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'")
    await conn.close()
