"""Benchmark: each console page's server time against the slowest API call it makes.

    python bench/portal.py [--projects 5000] [--repeats 5]

Self-contained (bench/support.py): durable PostgreSQL, nats-server with
``sync_interval: always``, the five services as real processes. Setup, not
measured: the demo tenants, one Yunan project per lifecycle state through the
services' APIs (``govproj dev seed``: decisions, workflows, budgets, acceptance
records and documents are real), then ``--projects`` more Yunan projects copied
into the registry in bulk (bench/registry.py), so list pages and the city's
dashboard read a county of realistic size.

Then every GET page of the console (read from its routes, so pages added later
are measured too) is rendered in-process by the real console, signed in as the
first role the page admits (bureau, auditor, finance, unit officer, the city's
overseer), ``--repeats`` times. Each API call the page makes is timed at the
console's HTTP client. Reported per page: the page's median server time, the
number of API calls, the slowest call's path, the same call timed alone (median
of ``--repeats``), and the ratio page / slowest call alone. A page that calls
one path template five times or more per render is flagged "one request per row".
Results are printed and written to bench/results/portal.json.
"""

from __future__ import annotations

import asyncio
import json
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script: make the repo importable
    sys.path.insert(0, str(REPO))

import asyncpg  # type: ignore[import-untyped]  # noqa: E402
import httpx  # noqa: E402
from fastapi import FastAPI  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from bench.registry import bulk_projects  # noqa: E402
from bench.support import arg_parser, durable_platform, seed_demo_tenants, write_results  # noqa: E402
from libs.common.testing.platform import RunningPlatform  # noqa: E402
from libs.common.testing.routes import api_routes  # noqa: E402
from tests.support.portal import bearer_of, console_as  # noqa: E402
from tests.support.seed import platform_seeder  # noqa: E402

COUNTY, CITY = "445322", "445300"
# Who tries a page, in order: the first answered with 200 is measured.
VIEWERS: tuple[tuple[str, str], ...] = (
    (COUNTY, "bureau_officer"),
    (COUNTY, "auditor"),
    (COUNTY, "finance_officer"),
    (COUNTY, "unit_officer"),
    (CITY, "overseer"),
)
_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
PER_ROW_THRESHOLD = 5


class CallLog:
    """Every API call the console makes, with its duration, while a page renders."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, float]] = []

    def attach(self, http: httpx.AsyncClient) -> None:
        send = http.send

        async def timed(request: httpx.Request, **kw: Any) -> httpx.Response:
            t0 = time.perf_counter()
            try:
                return await send(request, **kw)
            finally:
                self.calls.append((request.method, str(request.url), time.perf_counter() - t0))

        http.send = timed  # type: ignore[method-assign]


def _template(url: str) -> str:
    path = httpx.URL(url).path
    return _ID.sub("{id}", path)


def seed_county(running: RunningPlatform, year: int) -> dict[str, str]:
    """One project per lifecycle state in the county, through the APIs; name → id."""
    report = platform_seeder(running, year).run((COUNTY,))
    for note in report.notes:
        print("seed:", note)
    bureau = running.headers(COUNTY, "bureau_officer")
    with running.client("registry") as registry:
        page = registry.get(
            "/v1/projects", headers=bureau, params={"q": "演示项目", "limit": 200}
        ).json()
    return {p["state"]: p["id"] for p in page["items"]}


async def decided(dsn: str) -> None:
    """Give the bulk rows a decision, as decided projects have (pages read it per project)."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "UPDATE registry.projects SET decision = $1::jsonb"
            " WHERE tenant_id = $2 AND created_by = 'bench' AND route IS NOT NULL",
            json.dumps({"route": "approval", "explanation": "压测数据"}),
            COUNTY,
        )
    finally:
        await conn.close()


def samples(running: RunningPlatform, by_state: dict[str, str], year: int) -> dict[str, str]:
    """A value for each path parameter of the console's pages."""
    bureau = running.headers(COUNTY, "bureau_officer")
    rich = by_state.get("evaluated") or next(iter(by_state.values()))
    out = {"project_id": rich, "year": str(year)}
    with ExitStack() as stack:
        approval = stack.enter_context(running.client("approval"))
        archive = stack.enter_context(running.client("archive"))
        # Packaging and 四性检测 run inside the request (minutes on a loaded machine).
        approval.timeout = archive.timeout = httpx.Timeout(600)
        packs = approval.get("/v1/policies", headers=bureau).json()
        if packs:
            first = packs[0] if isinstance(packs, list) else packs.get("items", [{}])[0]
            out["pack_id"] = str(first.get("id"))
        docs = archive.get("/v1/documents", headers=bureau, params={"project_id": rich}).json()
        if docs:
            out["document_id"] = docs[0]["id"]
        if "under_review" in by_state:  # the open step of the project under review
            wf = approval.get(f"/v1/projects/{by_state['under_review']}/workflow", headers=bureau)
            opened = [st for st in wf.json().get("steps", []) if st["state"] == "open"]
            if wf.status_code == 200 and opened:
                out["step_id"] = str(opened[0]["step_id"])
        # A 四性检测 report of the project's archive package (the print page shows one).
        unit = running.headers(COUNTY, "unit_officer", unit=_unit_of(running, rich))
        package = archive.post(f"/v1/projects/{rich}/packages", headers=unit, json={})
        if package.status_code == 201:
            check = archive.post(
                f"/v1/packages/{package.json()['id']}/checks",
                headers=unit,
                json={"stage": "archiving"},
            )
            if check.status_code in (200, 201):
                out["report_id"] = str(check.json()["id"])
    if "draft" in by_state:
        out["draft_id"] = by_state["draft"]
    return out


def page_paths(app: FastAPI, values: dict[str, str]) -> Iterator[tuple[str, str | None]]:
    """Each GET page with its parameters filled (or None when no sample fits them)."""
    for route in api_routes(app):
        if "GET" not in route.methods:
            continue
        path = route.path
        if path.endswith("/content") or path in ("/login", "/callback", "/resume", "/signed-out"):
            continue  # a file download or the login's own pages
        if path.endswith("/edit"):
            path = path.replace("{project_id}", values.get("draft_id", "{project_id}"))
        missing = [p for p in re.findall(r"{(\w+)}", path) if p not in values]
        if missing:
            yield route.path, None
            continue
        yield route.path, path.format(**values)
        if route.path == "/dashboard":  # the city's drill-down into the seeded county
            yield "/dashboard?county=", f"/dashboard?county={COUNTY}"


def measure_page(
    console: TestClient, log: CallLog, url: str, repeats: int
) -> dict[str, Any] | None:
    """Median server time and the calls of one render; None unless the page answers 200."""
    times: list[float] = []
    calls: list[tuple[str, str, float]] = []
    for _ in range(repeats):
        log.calls.clear()
        t0 = time.perf_counter()
        r = console.get(url, follow_redirects=False)
        times.append(time.perf_counter() - t0)
        if r.status_code != 200:
            return None
        calls = list(log.calls)
    slowest = max(calls, key=lambda c: c[2]) if calls else None
    per_template = Counter(_template(u) for _, u, _ in calls)
    repeated = {t: n for t, n in per_template.items() if n >= PER_ROW_THRESHOLD}
    return {
        "page_ms": 1000 * statistics.median(times),
        "calls": len(calls),
        "slowest": slowest,
        "per_row": repeated,
    }


def run(projects: int, repeats: int) -> dict[str, Any]:
    year = datetime.now(UTC).year + 2
    with durable_platform("portal") as bench:
        running = bench.running
        seed_demo_tenants(running)
        t0 = time.monotonic()
        by_state = seed_county(running, year)
        seeded_s = time.monotonic() - t0
        asyncio.run(bulk_projects(bench.urls.admin, [COUNTY], projects))
        asyncio.run(decided(bench.urls.admin))
        values = samples(running, by_state, year)
        unit = _unit_of(running, values["project_id"])
        pages: dict[str, Any] = {}
        with ExitStack() as stack:
            consoles = []
            for tenant, role in VIEWERS:
                console = stack.enter_context(
                    console_as(running, tenant, role, unit=unit if role == "unit_officer" else None)
                )
                log = CallLog()
                log.attach(console.app.state.http)  # type: ignore[attr-defined]
                consoles.append((role, console, log))
            for template, url in page_paths(cast(FastAPI, consoles[0][1].app), values):
                if url is None:
                    pages[template] = {"skipped": "no sample for its parameters"}
                    continue
                for role, console, log in consoles:
                    found = measure_page(console, log, url, repeats)
                    if found is None:
                        continue
                    slowest = found.pop("slowest")
                    if slowest is not None:
                        method, call_url, _ = slowest
                        alone = alone_ms(console, method, call_url, repeats)
                        found["slowest_call"] = f"{method} {_template(call_url)}"
                        found["slowest_alone_ms"] = alone
                        found["ratio"] = found["page_ms"] / alone if alone else None
                    found["as"] = role
                    pages[template] = found
                    break
                else:
                    pages[template] = {"skipped": "no viewer got 200"}
    return {"projects": projects, "seed_s": seeded_s, "pages": pages}


def _unit_of(running: RunningPlatform, pid: str) -> str:
    with running.client("registry") as registry:
        project = registry.get(
            f"/v1/projects/{pid}", headers=running.headers(COUNTY, "bureau_officer")
        ).json()
    return str(project["unit_id"])


def alone_ms(console: TestClient, method: str, url: str, repeats: int) -> float:
    """The page's slowest call timed alone, with the same person's token: median ms."""
    times = []
    with httpx.Client(timeout=300, headers=bearer_of(console)) as http:
        for _ in range(repeats):
            t0 = time.perf_counter()
            http.request(method, url)
            times.append(time.perf_counter() - t0)
    return 1000 * statistics.median(times)


def main() -> None:
    parser = arg_parser(__doc__)
    parser.add_argument("--projects", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    results = run(args.projects, args.repeats)
    print(f"seeded one project per state in {results['seed_s']:.0f} s; {args.projects} bulk")
    print(f"{'page':<42}{'as':<16}{'page ms':>9}{'calls':>7}{'slowest alone ms':>18}{'ratio':>7}")
    for template, row in sorted(results["pages"].items()):
        if "skipped" in row:
            print(f"{template:<42}skipped: {row['skipped']}")
            continue
        ratio = f"{row['ratio']:.1f}" if row.get("ratio") else "—"
        alone = f"{row.get('slowest_alone_ms', 0):.0f}" if row.get("slowest_call") else "—"
        flag = f"  ONE REQUEST PER ROW: {row['per_row']}" if row["per_row"] else ""
        print(
            f"{template:<42}{row['as']:<16}{row['page_ms']:>9.0f}{row['calls']:>7}"
            f"{alone:>18}{ratio:>7}{flag}"
        )
    write_results("portal", results)


if __name__ == "__main__":
    main()
