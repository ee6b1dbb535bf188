"""Benchmark: the registry against the raw infrastructure it runs on.

    python bench/registry.py [--seconds 8] [--concurrency 16] [--counties 10] [--per-county 10000]

Self-contained: starts a durable PostgreSQL (fsync, synchronous_commit on), a
nats-server (JetStream, ``sync_interval: always``) and the five services as
real processes, as the integration tests do. In one run it measures

(i)   raw PostgreSQL durable commits/s: single-row INSERT + COMMIT on
      ``--concurrency`` connections;
(ii)  project submissions/s through the registry API (``POST
      /v1/projects/{id}/submit``: token check, tenant context, lock, facts,
      history row, outbox event, commit) from ``--concurrency`` clients, while
      the approval service decides them from NATS in the background;
(iii) the overseer summary (``GET /v1/oversight/summary``) for a city over
      ``--counties`` counties × ``--per-county`` projects (bulk-inserted as the
      owner), p50/p95 over sequential requests, and the same GROUP BY run
      directly in PostgreSQL.

Goals (issue 4): (ii) ≥ 30 % of (i); summary p95 ≤ 200 ms.
Results are printed and written to bench/results/registry.json.
"""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script: make the repo importable
    sys.path.insert(0, str(REPO))

import asyncpg  # type: ignore[import-untyped]  # noqa: E402
import httpx  # noqa: E402

from bench import support  # noqa: E402
from bench.support import arg_parser, durable_platform, machine, seed_demo_tenants, write_results  # noqa: E402

CITY, COUNTY = "445100", "445322"
STATES = ["draft", "under_review", "approved", "filed", "rejected", "implementing", "accepted"]
ROUTES = ["approval", "filing", "self_managed", "out_of_scope", None]
FACTS = {
    "project_class": "professional",
    "service_types": ["software_development"],
    "amount": 50000,
}


async def raw_commits(dsn: str, writers: int, seconds: float) -> float:
    """The durable-commit baseline with the registry's facts as the row (bench/support.py)."""
    return await support.raw_commits(dsn, writers, seconds, doc=json.dumps(FACTS))


# registry.projects columns the bench fills; ``route`` only for decided projects.
_PROJECT_COLUMNS = ("id", "tenant_id", "unit_id", "name", "contacts", "schedule", "year")
_PROJECT_STATE = ("facts", "amount", "state")
_PROJECT_TAIL = ("submission", "version", "created_by", "created_at", "updated_at")


async def _new_unit(conn: Any, tenant: str, name: str, now: datetime) -> uuid.UUID:
    """A unit of ``tenant`` named ``name`` + a short suffix, inserted as the superuser."""
    unit = uuid.uuid4()
    await conn.execute(
        "INSERT INTO registry.units (id, tenant_id, name, created_at) VALUES ($1, $2, $3, $4)",
        unit,
        tenant,
        f"{name}{unit.hex[:6]}",
        now,
    )
    return unit


async def _copy_projects(conn: Any, records: list[tuple[Any, ...]], *, routed: bool) -> None:
    """COPY project rows in bulk (setup, not measured); ``routed`` rows carry a route."""
    route = ("route",) if routed else ()
    await conn.copy_records_to_table(
        "projects",
        schema_name="registry",
        columns=[*_PROJECT_COLUMNS, *_PROJECT_STATE, *route, *_PROJECT_TAIL],
        records=records,
    )


async def insert_drafts(dsn: str, tenant: str, n: int) -> tuple[str, list[str]]:
    """The unit and its draft projects, inserted as the superuser (setup, not measured)."""
    conn = await asyncpg.connect(dsn)
    now = datetime.now(UTC)
    unit = await _new_unit(conn, tenant, "压测单位", now)
    ids = [uuid.uuid4() for _ in range(n)]
    await _copy_projects(
        conn,
        routed=False,
        records=[
            (
                i,
                tenant,
                unit,
                f"压测项目{k}",
                "[]",
                "{}",
                now.year + 1,
                json.dumps(FACTS),
                50000,
                "draft",
                0,
                1,
                "bench",
                now,
                now,
            )
            for k, i in enumerate(ids)
        ],
    )
    await conn.close()
    return str(unit), [str(i) for i in ids]


async def api_submissions(
    url: str, token: str, ids: list[str], clients: int, seconds: float
) -> dict[str, Any]:
    queue = list(reversed(ids))
    done, errors = 0, 0
    latencies: list[float] = []
    headers = {"Authorization": f"Bearer {token}"}

    async def client() -> None:
        nonlocal done, errors
        async with httpx.AsyncClient(base_url=url, timeout=30, headers=headers) as http:
            end = time.monotonic() + seconds
            while queue and time.monotonic() < end:
                pid = queue.pop()
                t0 = time.perf_counter()
                r = await http.post(f"/v1/projects/{pid}/submit")
                latencies.append(time.perf_counter() - t0)
                if r.status_code == 200:
                    done += 1
                else:
                    errors += 1

    start = time.monotonic()
    await asyncio.gather(*(client() for _ in range(clients)))
    elapsed = time.monotonic() - start
    return support.rate_and_latency(latencies, done, errors, elapsed, counted="submitted")


def decided_project(
    code: str, unit: uuid.UUID, name: str, rnd: random.Random, created: datetime
) -> tuple[Any, ...]:
    """A ``registry.projects`` row in a random state and route, for ``_copy_projects(routed=True)``."""
    amount = rnd.choice([30_000, 80_000, 300_000, 800_000, 2_500_000])
    return (
        uuid.uuid4(),
        code,
        unit,
        name,
        "[]",
        "{}",
        2026,
        json.dumps({**FACTS, "amount": amount}),
        amount,
        rnd.choice(STATES),
        rnd.choice(ROUTES),
        1,
        1,
        "bench",
        created,
        created,
    )


def register_counties(running: Any, admin: dict[str, str], counties: list[str]) -> None:
    """The bench counties under the city, through the registry; waits for its tenant tree."""
    with running.client("registry") as registry:
        for i, code in enumerate(counties):
            r = registry.post(
                "/v1/tenants",
                headers=admin,
                json={"code": code, "name": f"压测县{i}", "level": "county", "parent_code": CITY},
            )
            assert r.status_code in (201, 409), r.text
    time.sleep(6)  # the registry reloads its tenant tree (every 5 s at the latest)


async def bulk_projects(dsn: str, counties: list[str], per_county: int) -> None:
    conn = await asyncpg.connect(dsn)
    rnd = random.Random(4)  # noqa: S311 - reproducible test data, not secrets
    now = datetime.now(UTC)
    for code in counties:
        unit = await _new_unit(conn, code, "汇总单位", now)
        records = [
            decided_project(code, unit, f"项目{code}-{k}", rnd, now) for k in range(per_county)
        ]
        await _copy_projects(conn, records, routed=True)
    await conn.execute("ANALYZE registry.projects")
    await conn.close()


async def raw_summary(dsn: str, counties: list[str], n: int) -> float:
    conn = await asyncpg.connect(dsn)
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        await conn.fetch(
            "SELECT tenant_id, state, route, count(*), sum(amount) FROM registry.projects "
            "WHERE tenant_id = ANY($1::text[]) GROUP BY tenant_id, state, route",
            [CITY, *counties],
        )
        times.append(time.perf_counter() - t0)
    await conn.close()
    times.sort()
    return 1000 * times[int(len(times) * 0.95)]


def summary_latency(url: str, token: str, n: int) -> dict[str, float]:
    times = []
    with httpx.Client(
        base_url=url, timeout=30, headers={"Authorization": f"Bearer {token}"}
    ) as http:
        for _ in range(3):
            http.get("/v1/oversight/summary").raise_for_status()
        for _ in range(n):
            t0 = time.perf_counter()
            r = http.get("/v1/oversight/summary")
            times.append(time.perf_counter() - t0)
            r.raise_for_status()
        body = r.json()
    times.sort()
    total = sum(j["projects"]["count"] for j in body["jurisdictions"])
    return {
        "p50_ms": 1000 * statistics.median(times),
        "p95_ms": 1000 * times[int(len(times) * 0.95)],
        "projects_summarised": total,
    }


def main() -> None:
    parser = arg_parser(__doc__)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--counties", type=int, default=10)
    parser.add_argument("--per-county", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=100)
    args = parser.parse_args()

    with durable_platform("registry") as bench:
        urls, running = bench.urls, bench.running
        admin = seed_demo_tenants(running)
        counties = [f"4451{50 + i}" for i in range(args.counties)]
        register_counties(running, admin, counties)

        raw = asyncio.run(
            support.commit_baseline(
                urls.admin, args.concurrency, args.seconds, doc=json.dumps(FACTS)
            )
        )

        print(
            f"(ii)  project submissions through the API, {args.concurrency} clients ...",
            flush=True,
        )
        unit, ids = asyncio.run(
            insert_drafts(urls.admin, COUNTY, int(max(raw, 200) * args.seconds) + 100)
        )
        token = running.token(COUNTY, "unit_officer", unit=unit)
        api = asyncio.run(
            api_submissions(running.urls["registry"], token, ids, args.concurrency, args.seconds)
        )
        print(
            f"      {api['per_s']:,.0f} submissions/s (p95 {api['p95_ms']:.0f} ms, errors {api['errors']})",
            flush=True,
        )

        print(
            f"(iii) overseer summary, {args.counties} counties x {args.per_county:,} projects ...",
            flush=True,
        )
        asyncio.run(bulk_projects(urls.admin, counties, args.per_county))
        summary = summary_latency(
            running.urls["registry"], running.token(CITY, "overseer"), args.samples
        )
        summary["raw_group_by_p95_ms"] = asyncio.run(
            raw_summary(urls.admin, counties, args.samples)
        )
        print(
            f"      p50 {summary['p50_ms']:.1f} ms, p95 {summary['p95_ms']:.1f} ms "
            f"(raw GROUP BY p95 {summary['raw_group_by_p95_ms']:.1f} ms, "
            f"{summary['projects_summarised']:,} projects)",
            flush=True,
        )

    ratio = api["per_s"] / raw
    results = {
        "machine": machine(),
        "params": vars(args),
        "raw_commits_per_s": raw,
        "api_submissions": api,
        "summary": summary,
        "ratios": {
            "api_submissions_vs_raw_commits": ratio,
            "summary_p95_vs_raw_group_by_p95": summary["p95_ms"] / summary["raw_group_by_p95_ms"],
        },
        "goals": {
            "submissions_ge_30pct_of_raw": ratio >= 0.30,
            "summary_p95_le_200ms": summary["p95_ms"] <= 200,
        },
    }
    print(
        f"submissions/raw commits = {ratio:.0%} (goal >= 30%: {'met' if ratio >= 0.30 else 'NOT met'})"
    )
    print(
        f"summary p95 = {summary['p95_ms']:.1f} ms (goal <= 200 ms: "
        f"{'met' if summary['p95_ms'] <= 200 else 'NOT met'}); "
        f"x{results['ratios']['summary_p95_vs_raw_group_by_p95']:.1f} the raw GROUP BY"
    )
    write_results("registry", results)


if __name__ == "__main__":
    main()
