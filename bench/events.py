"""Benchmark: the event pipeline against the raw infrastructure it runs on.

    python -m bench.events [--seconds 6] [--writers 4] [--nats-sync always|default]

Self-contained: starts its own durable PostgreSQL (fsync and synchronous_commit
on) and nats-server (JetStream, file store) in a temporary directory. In one run
it measures

(i)   raw PostgreSQL durable commits/s: single-row INSERT + COMMIT in a loop on
      ``--writers`` concurrent connections;
(ii)  raw JetStream acknowledged publishes/s: ``js.publish`` awaited, to a file
      stream, from ``--writers`` and from 64 concurrent publishers (the stricter,
      higher figure is the one the ratio uses);
(iii) the platform's pipeline, emit -> outbox -> relay -> JetStream -> consumer:
      events applied/s (effect committed) with ``--writers`` writers emitting as
      fast as they can, and the latency from the writer's commit to the
      consumer's commit at a steady 200 events/s (p50/p99). The consumer's
      transaction sends a NOTIFY that PostgreSQL delivers at its commit, so the
      measured moment is the effect becoming durable and visible, not the
      handler call.

The relay and the consumer run as separate processes, as in production.
Results are printed and written to bench/results/events.json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script: make the repo importable
    sys.path.insert(0, str(REPO))

import asyncpg  # type: ignore[import-untyped]  # noqa: E402
import nats  # noqa: E402
import psutil  # noqa: E402
from nats.js.api import StorageType, StreamConfig  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncSession  # noqa: E402

from bench import profiles, support  # noqa: E402
from bench.support import machine, write_results  # noqa: E402
from libs.common.db import (  # noqa: E402
    TenantContext,
    create_engine,
    create_sessionmaker,
    transaction,
)
from libs.common.events import (  # noqa: E402
    ConsumerRunner,
    Event,
    OutboxRelay,
    emit,
    ensure_streams,
)
from libs.common.testing.infra import NatsProcess, PostgresProcess, free_port  # noqa: E402
from libs.common.testing.pytest_plugin import make_database  # noqa: E402
from libs.common.tests.conftest_events import (  # noqa: E402
    ACTOR,
    INCREMENTED,
    SCHEMA,
    SERVICE,
    create_schema,
)

GOAL_RATIO = 0.5
GOAL_P99_MS = 100.0
STEADY_RATE = 200
PAYLOAD = {
    "key": "k",
    "by": 1,
    "project_id": "0190a8c2-7d1e-7c3a-9f00-000000000000",
    "name": "某县政务服务一体化平台升级改造项目",
    "amount": 600000,
    "unit": "县政务服务和数据管理局",
}
LATENCY_CHANNEL = "bench_applied"
TENANT = "445322"


# -- the pipeline's worker processes -------------------------------------------------


_INCREMENT = text(
    "INSERT INTO evtest.counter (tenant_id, key, value) VALUES (:tenant, :key, :by) "
    "ON CONFLICT (tenant_id, key) DO UPDATE SET value = counter.value + EXCLUDED.value"
)
_PROBE = text("SELECT pg_notify(:channel, :id)")


async def bench_handler(session: AsyncSession, event: Event) -> None:
    """The test service's effect; probes also NOTIFY, which arrives when the batch commits."""
    await session.execute(
        _INCREMENT, {"tenant": event.tenant, "key": event.data["key"], "by": event.data["by"]}
    )
    if event.data.get("probe"):
        await session.execute(_PROBE, {"channel": LATENCY_CHANNEL, "id": event.id})


async def _worker(role: str, db: str, nats_url: str) -> None:
    engine = create_engine(db, pool_size=4)
    sessions = create_sessionmaker(engine)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    if role == "relay":
        nc = await nats.connect(nats_url, max_reconnect_attempts=-1)
        worker: Any = OutboxRelay(sessions, nc.jetstream(), SCHEMA, batch_size=256)
    else:
        nc = None
        worker = ConsumerRunner(
            sessions,
            nats_url,
            schema=SCHEMA,
            durable="bench",
            stream="GOVPROJ",
            filter_subjects=[f"govproj.*.{SERVICE}.>"],
            handlers={INCREMENTED: bench_handler},
            batch_size=256,
            max_ack_pending=20_000,
        )
    task = asyncio.create_task(worker.run())
    print("ready", flush=True)
    await stop.wait()
    worker.stop()
    await task
    if nc is not None:
        await nc.close()
    await engine.dispose()


# -- measurements --------------------------------------------------------------------


async def raw_publishes(nats_url: str, concurrency: int, seconds: float) -> float:
    """Acknowledged JetStream publishes, each awaited, from ``concurrency`` publishers."""
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    name = f"BENCH{concurrency}"
    await js.add_stream(
        StreamConfig(
            name=name,
            subjects=[f"bench{concurrency}.>"],
            storage=StorageType.FILE,
            duplicate_window=7200.0,
        )
    )
    payload = json.dumps(PAYLOAD, ensure_ascii=False).encode()
    done = 0

    async def publisher() -> None:
        nonlocal done
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            await js.publish(
                f"bench{concurrency}.{TENANT}.x",
                payload,
                headers={"Nats-Msg-Id": str(uuid.uuid4())},
            )
            done += 1

    start = time.monotonic()
    await asyncio.gather(*(publisher() for _ in range(concurrency)))
    rate = done / (time.monotonic() - start)
    await nc.close()
    return rate


async def _emit_one(sessions: Any, data: dict[str, Any]) -> str:
    async with transaction(sessions, TenantContext.own(TENANT)) as session:
        ev = await emit(
            session,
            tenant=TENANT,
            service=SERVICE,
            aggregate="counter",
            event="incremented",
            data=data,
            actor={**ACTOR, "tenant": TENANT},
        )
    return ev.id


async def _applied(admin_dsn: str) -> int:
    conn = await asyncpg.connect(admin_dsn)
    try:
        return int(
            await conn.fetchval(
                "SELECT coalesce(sum(value), 0) FROM evtest.counter WHERE tenant_id = $1", TENANT
            )
        )
    finally:
        await conn.close()


async def emit_rate(sessions: Any, writers: int, seconds: float) -> tuple[float, int]:
    """Service transactions that emit one event each, as fast as possible (nothing consumes).

    Returns transactions/s and how many ran.
    """
    done = 0

    async def writer() -> None:
        nonlocal done
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            await _emit_one(sessions, PAYLOAD)
            done += 1

    start = time.monotonic()
    await asyncio.gather(*(writer() for _ in range(writers)))
    return done / (time.monotonic() - start), done


def _cpu_seconds(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


async def drain(admin_dsn: str) -> None:
    """Wait until every outbox row of the bench tenant has been applied."""
    conn = await asyncpg.connect(admin_dsn)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            emitted = await conn.fetchval(
                "SELECT count(*) FROM evtest.outbox WHERE tenant_id = $1", TENANT
            )
            if await _applied(admin_dsn) >= emitted:
                return
            await asyncio.sleep(0.05)
        raise RuntimeError("the pipeline did not drain its backlog")
    finally:
        await conn.close()


async def pipeline_throughput(
    sessions: Any, admin_dsn: str, writers: int, seconds: float
) -> dict[str, float]:
    """Emit as fast as possible for ``seconds``; applied/s counts until the last is applied."""
    base = await _applied(admin_dsn)
    start = time.monotonic()
    emitted_per_s, emitted = await emit_rate(sessions, writers, seconds)
    emit_end = time.monotonic()
    conn = await asyncpg.connect(admin_dsn)
    try:
        while True:
            applied = (
                int(
                    await conn.fetchval(
                        "SELECT coalesce(sum(value), 0) FROM evtest.counter WHERE tenant_id = $1",
                        TENANT,
                    )
                )
                - base
            )
            if applied >= emitted:
                break
            if time.monotonic() - emit_end > 60:
                raise RuntimeError(f"pipeline stalled: {applied}/{emitted} applied")
            await asyncio.sleep(0.01)
    finally:
        await conn.close()
    end = time.monotonic()
    return {
        "events": emitted,
        "emitted_per_s": emitted_per_s,
        "applied_per_s": emitted / (end - start),
        "drain_after_emit_s": end - emit_end,
    }


async def pipeline_latency(
    sessions: Any, admin_dsn: str, rate: int, seconds: float
) -> dict[str, float]:
    """Commit-to-applied latency at a steady ``rate``: NOTIFY from the consumer's commit."""
    committed: dict[str, float] = {}
    applied: dict[str, float] = {}
    listener = await asyncpg.connect(admin_dsn)

    def on_applied(_c: object, _pid: int, _channel: str, event_id: str) -> None:
        applied[event_id] = time.monotonic()

    await listener.add_listener(LATENCY_CHANNEL, on_applied)
    total = int(rate * seconds)
    interval = 1.0 / rate
    start = time.monotonic()

    async def one(i: int) -> None:
        await asyncio.sleep(max(0.0, start + i * interval - time.monotonic()))
        event_id = await _emit_one(sessions, {**PAYLOAD, "probe": True})
        committed[event_id] = time.monotonic()  # the writer's commit has returned

    await asyncio.gather(*(one(i) for i in range(total)))
    deadline = time.monotonic() + 30
    while len(applied) < total and time.monotonic() < deadline:  # noqa: ASYNC110 - a deadline poll
        await asyncio.sleep(0.05)
    await listener.close()
    lat = sorted((applied[i] - committed[i]) * 1000 for i in committed if i in applied)
    if len(lat) < total:
        raise RuntimeError(f"only {len(lat)}/{total} probes applied")

    def pct(p: float) -> float:
        return lat[min(len(lat) - 1, int(p * len(lat)))]

    return {
        "events": total,
        "rate_per_s": rate,
        "p50_ms": pct(0.50),
        "p90_ms": pct(0.90),
        "p99_ms": pct(0.99),
        "max_ms": lat[-1],
        "mean_ms": statistics.fmean(lat),
    }


# -- orchestration -------------------------------------------------------------------


def _start_worker(role: str, db: str, nats_url: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.events", "--worker", role, "--db", db, "--nats", nats_url],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    assert proc.stdout is not None
    if proc.stdout.readline().strip() != "ready":
        raise RuntimeError(f"{role} worker did not start")
    return proc


def _stop_worker(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="govproj-bench-"))
    pg = PostgresProcess(tmp / "pg", free_port(), durable=True)
    extra: tuple[str, ...] = ()
    if args.nats_sync == "always":
        conf = tmp / "nats.conf"
        conf.write_text("jetstream {\n  sync_interval: always\n}\n")
        extra = ("-c", str(conf))
    nats_server = NatsProcess(tmp / "nats", free_port(), extra_args=extra)
    workers: list[subprocess.Popen[str]] = []
    try:
        pg.start()
        nats_server.start()
        urls = make_database(pg.admin_url, "bench")
        create_schema(urls.owner)
        nc = await nats.connect(nats_url := nats_server.url)
        await ensure_streams(nc.jetstream())
        await nc.close()

        commits = await support.commit_baseline(
            urls.admin, args.writers, args.seconds, doc=json.dumps(PAYLOAD, ensure_ascii=False)
        )
        print("(ii)  raw JetStream acknowledged publishes ...", flush=True)
        publishes = {
            f"awaited_x{c}": await raw_publishes(nats_url, c, args.seconds / 2)
            for c in (args.writers, 64)
        }
        raw_pub = max(publishes.values())
        for k, v in publishes.items():
            print(f"      {k}: {v:,.0f} publishes/s", flush=True)

        engine = create_engine(urls.app, pool_size=args.writers + 12)
        sessions = create_sessionmaker(engine)
        print("      emit only (service transactions, no relay or consumer) ...", flush=True)
        cpu = time.process_time()
        emit_only, emitted_alone = await emit_rate(sessions, args.writers, args.seconds / 2)
        emit_cpu_ms = (time.process_time() - cpu) * 1000 / emitted_alone
        print(
            f"      {emit_only:,.0f} emitting transactions/s, "
            f"{emit_cpu_ms:.2f} ms CPU each in the writer",
            flush=True,
        )
        workers = [
            _start_worker("relay", urls.relay, nats_url),
            _start_worker("consume", urls.app, nats_url),
        ]
        await drain(urls.admin)  # the emit-only backlog, and warms every connection
        print(f"(iii) pipeline, {args.writers} writers emitting flat out ...", flush=True)
        roles = {"relay": workers[0].pid, "consumer": workers[1].pid}
        spies = {}
        if args.profile and profiles.available():
            spies = {
                role: (
                    profiles.record(
                        pid,
                        args.seconds,
                        out := REPO / "bench" / "results" / f"events-{role}.collapsed",
                    ),
                    out,
                )
                for role, pid in roles.items()
            }
        cpu_before = {role: _cpu_seconds(pid) for role, pid in roles.items()}
        throughput = await pipeline_throughput(sessions, urls.admin, args.writers, args.seconds)
        cpu_ms_per_event = {
            role: (_cpu_seconds(pid) - cpu_before[role]) * 1000 / throughput["events"]
            for role, pid in roles.items()
        }
        cpu_ms_per_event["writer (emit only)"] = emit_cpu_ms
        profile = {}
        for role, (spy, out) in spies.items():
            spy.wait(60)
            profile[role] = profiles.summary(out)
        print(
            f"      emitted {throughput['emitted_per_s']:,.0f}/s, "
            f"applied {throughput['applied_per_s']:,.0f}/s; CPU per event: "
            + ", ".join(f"{k} {v:.2f} ms" for k, v in cpu_ms_per_event.items()),
            flush=True,
        )
        print(f"      latency at a steady {STEADY_RATE} events/s ...", flush=True)
        latency = await pipeline_latency(sessions, urls.admin, STEADY_RATE, args.latency_seconds)
        print(f"      p50 {latency['p50_ms']:.1f} ms, p99 {latency['p99_ms']:.1f} ms", flush=True)
        await drain(urls.admin)
        half = STEADY_RATE // 2
        print(
            f"      latency at a steady {half} events/s (context: below saturation) ...", flush=True
        )
        latency_half = await pipeline_latency(sessions, urls.admin, half, args.latency_seconds)
        print(
            f"      p50 {latency_half['p50_ms']:.1f} ms, p99 {latency_half['p99_ms']:.1f} ms",
            flush=True,
        )
        await engine.dispose()
    finally:
        for w in workers:
            _stop_worker(w)
        nats_server.stop()
        pg.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    ratio_commits = throughput["applied_per_s"] / commits
    ratio_publishes = throughput["applied_per_s"] / raw_pub
    return {
        "machine": machine(),
        "settings": {
            "writers": args.writers,
            "seconds": args.seconds,
            "nats_sync_interval": args.nats_sync,
            "postgres": "fsync=on, synchronous_commit=on",
        },
        "raw": {"postgres_commits_per_s": commits, "jetstream_publishes_per_s": publishes},
        "emit_only_transactions_per_s": emit_only,
        "cpu_ms_per_event": cpu_ms_per_event,
        "profile": profile,
        "pipeline": {
            "throughput": throughput,
            "latency": latency,
            "latency_at_half_rate": latency_half,
        },
        "ratios": {
            "pipeline_over_raw_commits": ratio_commits,
            "pipeline_over_emit_only": throughput["applied_per_s"] / emit_only,
            "pipeline_over_raw_publishes": ratio_publishes,
        },
        "goals": {
            "pipeline_over_raw_commits": {
                "goal": f">= {GOAL_RATIO}",
                "value": ratio_commits,
                "met": ratio_commits >= GOAL_RATIO,
            },
            "p99_ms_at_200_per_s": {
                "goal": f"<= {GOAL_P99_MS}",
                "value": latency["p99_ms"],
                "met": latency["p99_ms"] <= GOAL_P99_MS,
            },
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--latency-seconds", type=float, default=8.0)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument(
        "--nats-sync",
        choices=["always", "default"],
        default="always",
        help="JetStream fsync before PubAck (always) or every 2 min (default)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="sample the relay and consumer with py-spy during the pipeline",
    )
    parser.add_argument("--worker", choices=["relay", "consume"], help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--nats", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        asyncio.run(_worker(args.worker, args.db, args.nats))
        return
    results = asyncio.run(run(args))
    r = results["ratios"]
    g = results["goals"]
    print()
    met_ratio = "met" if g["pipeline_over_raw_commits"]["met"] else "NOT met"
    met_p99 = "met" if g["p99_ms_at_200_per_s"]["met"] else "NOT met"
    print(
        f"pipeline / raw commits    = {r['pipeline_over_raw_commits']:.2f}  "
        f"(goal >= {GOAL_RATIO}: {met_ratio})"
    )
    print(f"pipeline / raw publishes  = {r['pipeline_over_raw_publishes']:.2f}")
    print(
        f"pipeline / emit-only txs  = {r['pipeline_over_emit_only']:.2f}  "
        "(the service transaction itself, before any relaying)"
    )
    print(
        f"p99 commit->applied @200/s = {results['pipeline']['latency']['p99_ms']:.1f} ms  "
        f"(goal <= {GOAL_P99_MS:.0f} ms: {met_p99})"
    )
    for role, prof in results["profile"].items():
        print(
            f"profile of the {role} ({prof.get('samples', 0)} samples), self time by area: "
            + ", ".join(f"{k} {v:.0%}" for k, v in prof.get("self_by_area", {}).items())
        )
    write_results("events", results)


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()
