"""Benchmark: how the registry's reads grow with the number of projects (issue 21, item 6).

    python bench/growth.py [--sizes 1000,10000,100000] [--samples 40]

Self-contained: a durable PostgreSQL and nats-server with the registry as a real
process (bench/support.py). A city (潮州市, 445100) gets ten counties; their
projects are COPYed straight into ``registry.projects`` (tenant_id set per row,
as the superuser: setup, not measured), growing to each of ``--sizes`` in turn.
At each size, over HTTP, p50/p95 of ``--samples`` sequential requests:

(i)   name search ``GET /v1/projects?q=…`` as the city's overseer (who sees every
      project): a rare four-character term (0.1 % of names), a common one (~7 %),
      a common two-character term and a rare two-character one; and, straight in
      PostgreSQL as the app role under the same RLS context, main's query before
      issue 21 (``name ILIKE '%q%'``) and the query now (rarest bigram, then the
      candidates or the ordered walk);
(ii)  the city summary ``GET /v1/oversight/summary`` (10 counties), and the same
      GROUP BY run directly in PostgreSQL;
(iii) list pages ``GET /v1/projects?limit=50`` in the default order (newest first)
      and by name: the first page and the 20th, reached through the cursors (keyset).

Growth is visible as the p95 across sizes: flat or logarithmic is the aim.
Goals at 100,000 projects: name search p95 <= 50 ms, city summary p95 <= 200 ms.
Results are printed and written to bench/results/growth.json.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script: make the repo importable
    sys.path.insert(0, str(REPO))

import asyncpg  # type: ignore[import-untyped]  # noqa: E402
import httpx  # noqa: E402

from bench.registry import (  # noqa: E402
    CITY,
    _copy_projects,
    _new_unit,
    decided_project,
    raw_summary,
    register_counties,
)
from bench.support import arg_parser, durable_platform, machine, seed_demo_tenants, write_results  # noqa: E402
from services.registry.projects.repository import _RARE_BIGRAM as RARE_BIGRAM  # noqa: E402

COUNTIES = 10

# Names as units write them: a county, two fields of work, a kind of system, a suffix.
FIELDS = [
    "政务服务", "一网通办", "数据共享交换", "视频监控", "应急指挥", "智慧城市", "电子政务外网",
    "不动产登记", "社会保障", "医疗卫生", "教育信息化", "农业农村", "生态环境", "市场监管",
    "公共资源交易", "城市管理", "交通运输", "水利", "自然资源", "住房保障", "文化旅游",
    "民政救助", "税务征管", "公安治安", "消防救援", "档案管理", "统计调查", "信用体系",
    "网格化治理", "政务云",
]  # fmt: skip
KINDS = ["平台", "系统", "中心", "网络", "数据库", "工程"]
SUFFIXES = ["建设项目", "升级改造项目", "运维服务项目", "（二期）建设项目"]
RARE = "候鸟监测"  # one name in a thousand
TERMS = {
    "rare, 4 characters": RARE,
    "common, 5 characters": "不动产登记",
    "common, 2 characters": "平台",
    "rare, 2 characters": "候鸟",
}


def project_name(county: str, k: int, rnd: random.Random) -> str:
    first, second = rnd.sample(FIELDS, 2)
    rare = RARE if k % 1000 == 999 else ""
    return f"{county}{first}{rare}{second}{rnd.choice(KINDS)}{rnd.choice(SUFFIXES)}"


async def grow(dsn: str, counties: list[str], units: dict[str, uuid.UUID], per_county: int) -> None:
    """Add ``per_county`` projects to each county (COPY, as the superuser), then ANALYZE."""
    conn = await asyncpg.connect(dsn)
    rnd = random.Random(per_county)  # noqa: S311 - reproducible test data, not secrets
    now = datetime.now(UTC)
    for i, code in enumerate(counties):
        if code not in units:
            units[code] = await _new_unit(conn, code, "增长单位", now)
        existing = await conn.fetchval(
            "SELECT count(*) FROM registry.projects WHERE tenant_id = $1", code
        )
        records = [
            # Distinct times, one minute apart: the newest-first order is total.
            decided_project(
                code,
                units[code],
                project_name(f"压测县{i}", k, rnd),
                rnd,
                now - timedelta(minutes=k),
            )
            for k in range(existing, existing + per_county)
        ]
        await _copy_projects(conn, records, routed=True)
    # What autovacuum does to a table that grew: statistics and the visibility map.
    await conn.execute("VACUUM ANALYZE registry.projects")
    await conn.execute("VACUUM ANALYZE registry.project_name_grams")
    await conn.close()


async def _before(conn: Any, term: str) -> None:
    """main's search before issue 21: ``name ILIKE '%q%'``."""
    await conn.fetch(
        "SELECT * FROM registry.projects WHERE name ILIKE '%' || $1 || '%' "
        "ORDER BY created_at DESC, id DESC LIMIT 51",
        term,
    )


async def _now(conn: Any, term: str) -> None:
    """The search now (services/registry/projects/repository.py ``name_contains``), in SQL."""
    rarest = await conn.fetchrow(
        "SELECT g.gram, (SELECT count(*) FROM (SELECT 1 FROM registry.project_name_grams AS n "
        "WHERE n.gram = g.gram LIMIT $2) AS hits) AS hits "
        "FROM unnest(registry.name_bigrams($1)) AS g(gram) ORDER BY hits LIMIT 1",
        term,
        RARE_BIGRAM,
    )
    if rarest is not None and rarest["hits"] < RARE_BIGRAM:
        await conn.fetch(
            "SELECT * FROM registry.projects WHERE id IN (SELECT project_id FROM "
            "registry.project_name_grams WHERE gram = $2) AND strpos(lower(name), lower($1)) > 0 "
            "ORDER BY created_at DESC, id DESC LIMIT 51",
            term,
            rarest["gram"],
        )
    else:
        await conn.fetch(
            "SELECT * FROM registry.projects WHERE strpos(lower(name), lower($1)) > 0 "
            "ORDER BY created_at DESC, id DESC LIMIT 51",
            term,
        )


async def sql_search(dsn: str, visible: list[str], samples: int) -> dict[str, dict[str, Any]]:
    """Before and now, as the app role under the overseer's RLS context, straight in SQL."""
    conn = await asyncpg.connect(dsn)
    out: dict[str, dict[str, Any]] = {}
    try:
        for name, term in TERMS.items():
            for label, search in (("before: SQL", _before), ("now: SQL", _now)):
                times = []
                async with conn.transaction():
                    await conn.execute(
                        "SELECT set_config('app.tenant_id', $1, true), "
                        "set_config('app.visible_tenants', $2, true)",
                        CITY,
                        ",".join(visible),
                    )
                    for _ in range(samples + 3):
                        t0 = time.perf_counter()
                        await search(conn, term)
                        times.append(time.perf_counter() - t0)
                out.setdefault(name, {})[label] = _percentiles(times[3:])
    finally:
        await conn.close()
    return out


def _percentiles(times: list[float]) -> dict[str, float]:
    times = sorted(times)
    return {
        "p50_ms": round(1000 * statistics.median(times), 2),
        "p95_ms": round(1000 * times[min(len(times) - 1, int(len(times) * 0.95))], 2),
    }


def timed(http: httpx.Client, path: str, params: dict[str, Any], samples: int) -> dict[str, Any]:
    """p50/p95 of ``samples`` sequential GETs (after three to warm up), and the last answer's size."""
    for _ in range(3):
        http.get(path, params=params).raise_for_status()
    times = []
    for _ in range(samples):
        t0 = time.perf_counter()
        r = http.get(path, params=params)
        times.append(time.perf_counter() - t0)
        r.raise_for_status()
    body = r.json()
    shown = len(body["items"]) if "items" in body else len(body.get("jurisdictions", []))
    return {**_percentiles(times), "rows_in_answer": shown}


def page_cursor(http: httpx.Client, sort: str, page: int) -> str | None:
    """The cursor that opens page ``page`` (1-based) of the list in ``sort`` order."""
    cursor = None
    for _ in range(page - 1):
        params: dict[str, Any] = {"limit": 50, "sort": sort}
        if cursor:
            params["cursor"] = cursor
        r = http.get("/v1/projects", params=params)
        r.raise_for_status()
        cursor = r.json()["next_cursor"]
    return cursor


def measure(
    url: str, token: str, dsn: str, app_dsn: str, tenants: list[str], samples: int
) -> dict[str, Any]:
    out: dict[str, Any] = {"search": {}, "lists": {}}
    in_sql = asyncio.run(sql_search(app_dsn, tenants, samples))
    with httpx.Client(
        base_url=url, timeout=60, headers={"Authorization": f"Bearer {token}"}
    ) as http:
        for name, term in TERMS.items():
            out["search"][name] = {
                **in_sql[name],
                "now: HTTP": timed(http, "/v1/projects", {"q": term, "limit": 50}, samples),
            }
        out["summary"] = timed(http, "/v1/oversight/summary", {}, samples)
        # The same GROUP BY straight in PostgreSQL (no RLS, no HTTP): the floor.
        counties = [t for t in tenants if t != CITY]
        out["summary"]["raw_group_by_p95_ms"] = asyncio.run(raw_summary(dsn, counties, samples))
        for sort in ("-created", "name"):
            for page in (1, 20):
                params: dict[str, Any] = {"limit": 50, "sort": sort}
                if cursor := page_cursor(http, sort, page):
                    params["cursor"] = cursor
                out["lists"][f"{sort} page {page}"] = timed(http, "/v1/projects", params, samples)
    return out


def main() -> None:
    parser = arg_parser(__doc__)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--samples", type=int, default=40)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    results: dict[str, Any] = {
        "benchmark": "growth",
        "machine": machine(),
        "params": vars(args),
        "sizes": {},
    }
    with durable_platform("growth", services=("registry",)) as bench:
        urls, running = bench.urls, bench.running
        admin = seed_demo_tenants(running)
        counties = [f"4451{50 + i}" for i in range(COUNTIES)]
        register_counties(running, admin, counties)
        token = running.token(CITY, "overseer")
        units: dict[str, uuid.UUID] = {}
        seeded = 0
        for size in sizes:
            print(f"growing to {size:,} projects ...", flush=True)
            asyncio.run(grow(urls.admin, counties, units, (size - seeded) // COUNTIES))
            seeded = size
            got = measure(
                running.urls["registry"],
                token,
                urls.admin,
                urls.app.replace("postgresql+asyncpg", "postgresql"),
                [CITY, *counties],
                args.samples,
            )
            results["sizes"][str(size)] = got
            report(size, got)
    write_results("growth", results)


def report(size: int, got: dict[str, Any]) -> None:
    print(f"  {size:,} projects (p50 / p95 ms)")
    for name, by_index in got["search"].items():
        cells = "   ".join(
            f"{label}: {m['p50_ms']:.1f} / {m['p95_ms']:.1f}"
            + (f" ({m['rows_in_answer']} rows)" if "rows_in_answer" in m else "")
            for label, m in by_index.items()
        )
        print(f"    search {name:<22} {cells}")
    s = got["summary"]
    print(
        f"    city summary            {s['p50_ms']:.1f} / {s['p95_ms']:.1f}   "
        f"(raw GROUP BY p95 {s['raw_group_by_p95_ms']:.1f})"
    )
    for name, m in got["lists"].items():
        print(f"    list {name:<18} {m['p50_ms']:.1f} / {m['p95_ms']:.1f}")


if __name__ == "__main__":
    main()
