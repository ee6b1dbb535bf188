"""Benchmark: the budget service against the raw infrastructure it runs on.

    python bench/budget.py [--seconds 8] [--concurrency 16] [--projects 200] [--samples 100]

Self-contained: a durable PostgreSQL (fsync, synchronous_commit on), a
nats-server (JetStream, ``sync_interval: always``) and the five services as
real processes, as the integration tests do. In one run it measures

(i)   raw PostgreSQL durable commits/s: single-row INSERT + COMMIT on
      ``--concurrency`` connections;
(ii)  disbursements/s through the budget API (``POST /v1/projects/{id}/disbursements``:
      token, tenant context, project lock, line balance, voucher uniqueness,
      outbox event, commit) from ``--concurrency`` clients over ``--projects``
      projects, then the same vouchers again (retries: nothing may be added);
(iii) the finance round trip: a finance answer published on
      ``finance.<tenant>.review.answered`` until ``finance_review.completed`` is
      seen on NATS (schema check, review lock, record, outbox, relay), p50/p95
      over sequential answers, against a raw JetStream publish → delivery.

Results are printed and written to bench/results/budget.json.
"""

from __future__ import annotations

import asyncio
import json
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
import nats  # noqa: E402

from bench.support import (  # noqa: E402
    arg_parser,
    commit_baseline,
    durable_platform,
    machine,
    seed_demo_tenants,
    write_results,
)
from libs.common.events import Event, to_nats  # noqa: E402

TENANT = "445322"
LINE_AMOUNT = 10**12  # the balance never limits the run


async def seed_projects(dsn: str, n: int) -> list[tuple[str, str]]:
    """Implementing projects with one construction line each, as the owner (setup)."""
    conn = await asyncpg.connect(dsn)
    now = datetime.now(UTC)
    out = []
    for _ in range(n):
        pid, line = uuid.uuid4(), uuid.uuid4()
        await conn.execute(
            "INSERT INTO budget.projects (id, tenant_id, submission, status, route, amount, "
            "approved_amount, decision, facts, updated_at) "
            "VALUES ($1, $2, 1, 'implementing', 'approval', $3, $3, '{}', '{}', $4)",
            pid,
            TENANT,
            LINE_AMOUNT,
            now,
        )
        await conn.execute(
            "INSERT INTO budget.budget_lines (id, tenant_id, project_id, kind, amount, funding, "
            "version, actor, created_at, updated_at) "
            "VALUES ($1, $2, $3, 'construction', $4, 'fiscal', 1, '{}', $5, $5)",
            line,
            TENANT,
            pid,
            LINE_AMOUNT,
            now,
        )
        out.append((str(pid), str(line)))
    await conn.close()
    return out


async def disbursements(
    url: str,
    token: str,
    projects: list[tuple[str, str]],
    clients: int,
    seconds: float,
    vouchers: list[tuple[str, str, str]] | None = None,
) -> dict[str, Any]:
    """New payments for ``seconds`` (or the given vouchers again); returns rates and statuses."""
    done: list[tuple[str, str, str]] = []
    statuses: dict[int, int] = {}
    latencies: list[float] = []
    queue = list(vouchers or [])
    headers = {"Authorization": f"Bearer {token}"}
    counter = 0

    async def client(k: int) -> None:
        nonlocal counter
        async with httpx.AsyncClient(base_url=url, timeout=30, headers=headers) as http:
            end = time.monotonic() + seconds
            while time.monotonic() < end if vouchers is None else queue:
                if vouchers is None:
                    counter += 1
                    pid, line = projects[counter % len(projects)]
                    voucher = f"B{k}-{counter}"
                else:
                    pid, line, voucher = queue.pop()
                t0 = time.perf_counter()
                r = await http.post(
                    f"/v1/projects/{pid}/disbursements",
                    json={
                        "line_id": line,
                        "amount": 1,
                        "paid_on": "2027-01-01",
                        "voucher_no": voucher,
                    },
                )
                latencies.append(time.perf_counter() - t0)
                statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
                if r.status_code == 201:
                    done.append((pid, line, voucher))

    start = time.monotonic()
    await asyncio.gather(*(client(k) for k in range(clients)))
    elapsed = time.monotonic() - start
    latencies.sort()
    return {
        "per_s": sum(statuses.values()) / elapsed,
        "statuses": statuses,
        "p50_ms": 1000 * latencies[len(latencies) // 2],
        "p95_ms": 1000 * latencies[int(len(latencies) * 0.95)],
        "created": done,
    }


async def paid_total(dsn: str) -> tuple[int, int]:
    conn = await asyncpg.connect(dsn)
    row = await conn.fetchrow("SELECT count(*), coalesce(sum(amount), 0) FROM budget.disbursements")
    await conn.close()
    return int(row[0]), int(row[1])


async def seed_reviews(dsn: str, n: int) -> list[tuple[str, str, str]]:
    conn = await asyncpg.connect(dsn)
    now = datetime.now(UTC)
    out = []
    for _ in range(n):
        pid, review, step = uuid.uuid4(), uuid.uuid4(), str(uuid.uuid4())
        await conn.execute(
            "INSERT INTO budget.projects (id, tenant_id, submission, status, route, amount, "
            "decision, facts, updated_at) "
            "VALUES ($1, $2, 1, 'under_review', 'approval', 800000, '{}', '{}', $3)",
            pid,
            TENANT,
            now,
        )
        await conn.execute(
            "INSERT INTO budget.finance_reviews (id, tenant_id, project_id, submission, "
            "workflow_id, step_id, requested_amount, status, requested_at) "
            "VALUES ($1, $2, $3, 1, 'wf', $4, 800000, 'requested', $5)",
            review,
            TENANT,
            pid,
            step,
            now,
        )
        out.append((str(pid), str(review), step))
    await conn.close()
    return out


def answer(pid: str, review: str, step: str) -> Event:
    return Event(
        id=str(uuid.uuid4()),
        type="finance.budget.review.answered.v1",
        source=f"/finance/{TENANT}",
        subject=f"finance.{TENANT}.review.answered",
        tenant=TENANT,
        time=datetime.now(UTC),
        actor={"type": "external", "id": "bench-finance", "tenant": TENANT, "roles": []},
        data={
            "tenant": TENANT,
            "review_id": review,
            "project_id": pid,
            "submission": 1,
            "step_id": step,
            "outcome": "approve",
            "approved_amount": 600_000,
            "opinion": "同意",
            "funding_by_year": [{"year": 2027, "amount": 600_000}],
            "answered_by": "压测财政",
        },
    )


async def round_trips(nats_url: str, reviews: list[tuple[str, str, str]]) -> dict[str, Any]:
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    pending: dict[str, asyncio.Future[float]] = {}

    async def completed(msg: Any) -> None:
        review = json.loads(msg.data)["review_id"]
        if review in pending and not pending[review].done():
            pending[review].set_result(time.perf_counter())

    await nc.subscribe(f"govproj.{TENANT}.budget.finance_review.completed", cb=completed)
    through: list[float] = []
    for pid, review, step in reviews:
        pending[review] = asyncio.get_running_loop().create_future()
        subject, headers, payload = to_nats(answer(pid, review, step))
        t0 = time.perf_counter()
        await js.publish(subject, payload, headers=headers)
        through.append(await asyncio.wait_for(pending[review], timeout=30) - t0)

    raw: list[float] = []
    got: asyncio.Queue[float] = asyncio.Queue()

    async def echo(msg: Any) -> None:
        await got.put(time.perf_counter())

    await nc.subscribe(f"finance.{TENANT}.bench.raw", cb=echo)
    for _ in reviews:
        t0 = time.perf_counter()
        await js.publish(f"finance.{TENANT}.bench.raw", b"{}")
        raw.append(await asyncio.wait_for(got.get(), timeout=10) - t0)
    await nc.drain()
    through.sort()
    raw.sort()
    return {
        "p50_ms": 1000 * statistics.median(through),
        "p95_ms": 1000 * through[int(len(through) * 0.95)],
        "raw_p50_ms": 1000 * statistics.median(raw),
        "raw_p95_ms": 1000 * raw[int(len(raw) * 0.95)],
    }


def main() -> None:
    parser = arg_parser(__doc__)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--projects", type=int, default=200)
    parser.add_argument("--samples", type=int, default=100)
    args = parser.parse_args()

    with durable_platform("budget") as bench:
        urls, running, nats_url = bench.urls, bench.running, bench.nats_url
        seed_demo_tenants(running)
        raw = asyncio.run(
            commit_baseline(urls.admin, args.concurrency, args.seconds, doc='{"amount": 1}')
        )

        print(
            f"(ii)  disbursements through the API, {args.concurrency} clients, "
            f"{args.projects} projects ...",
            flush=True,
        )
        projects = asyncio.run(seed_projects(urls.admin, args.projects))
        token = running.token(TENANT, "unit_officer")
        url = running.urls["budget"]
        pay = asyncio.run(disbursements(url, token, projects, args.concurrency, args.seconds))
        created = pay.pop("created")
        count, total = asyncio.run(paid_total(urls.admin))
        retry = asyncio.run(
            disbursements(
                url, token, projects, args.concurrency, args.seconds, vouchers=list(created)
            )
        )
        retry.pop("created")
        count2, total2 = asyncio.run(paid_total(urls.admin))
        assert (count2, total2) == (count, total) == (len(created), len(created)), (
            f"a retried voucher was paid twice: {(count, total)} then {(count2, total2)}, "
            f"{len(created)} created, {pay['statuses']} / {retry['statuses']}"
        )
        print(
            f"      {pay['per_s']:,.0f} payments/s (p95 {pay['p95_ms']:.0f} ms, "
            f"{pay['statuses']}); retries {retry['per_s']:,.0f}/s {retry['statuses']}, "
            f"nothing doubled ({count} payments, {total} yuan)",
            flush=True,
        )

        print(
            f"(iii) finance answer → finance_review.completed, {args.samples} answers ...",
            flush=True,
        )
        reviews = asyncio.run(seed_reviews(urls.admin, args.samples))
        trip = asyncio.run(round_trips(nats_url, reviews))
        print(
            f"      p50 {trip['p50_ms']:.1f} ms, p95 {trip['p95_ms']:.1f} ms "
            f"(raw JetStream publish → delivery p50 {trip['raw_p50_ms']:.2f} ms, "
            f"p95 {trip['raw_p95_ms']:.2f} ms)",
            flush=True,
        )

    results = {
        "machine": machine(),
        "params": vars(args),
        "raw_commits_per_s": raw,
        "disbursements": pay,
        "retried_disbursements": retry,
        "finance_round_trip": trip,
        "ratios": {
            "disbursements_vs_raw_commits": pay["per_s"] / raw,
            "round_trip_p50_vs_raw_jetstream_p50": trip["p50_ms"] / trip["raw_p50_ms"],
        },
    }
    print(
        f"disbursements/raw commits = {results['ratios']['disbursements_vs_raw_commits']:.0%}; "
        f"finance round trip p50 = x{results['ratios']['round_trip_p50_vs_raw_jetstream_p50']:.1f}"
        " the raw JetStream delivery"
    )
    write_results("budget", results)


if __name__ == "__main__":
    main()
