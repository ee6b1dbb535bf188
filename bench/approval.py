"""Benchmark: submitted → decision made, against the raw infrastructure it runs on.

    python -m bench.approval [--rate 100] [--seconds 10] [--burst 2000] [--concurrency 16]
                             [--profile DIR] [--out FILE]

Self-contained: starts a durable PostgreSQL (fsync, synchronous_commit on), a
nats-server (JetStream, ``sync_interval: always``) and the approval service as
a real process (API, consumer and outbox relay), as the integration tests do.
The registry is not started: the benchmark plays its part and publishes
``govproj.<tenant>.registry.project.submitted`` events itself (郁南, 800,000
yuan, public class, in the plan: route ``approval``, a five-step workflow), and
times each until its ``govproj.<tenant>.approval.project.decided`` event comes
back on NATS. That is the whole path a submission takes in production:
JetStream delivery, inbox, policy evaluation, decision row, workflow and first
step, three outbox events, commit, ack, relay, JetStream publish.

In one run it measures

(i)   raw PostgreSQL durable commits/s (``bench/registry.py``'s measure);
(ii)  latency at a steady ``--rate`` of submissions/s for ``--seconds``: p50/p99;
(iii) decisions/s at saturation: ``--burst`` submissions published at once,
      from the first publish to the last decision, and the approval process's
      CPU per decision over that burst (``/proc``, less its idle rate: the
      steadier figure on a shared machine);
(iv)  with ``--profile DIR``, a py-spy sample of the approval process under a
      second burst (raw stacks in DIR, shares by layer printed);
(v)   the JetStream floor on the same nats-server, just before and just after the
      burst (their mean is used): durable (acknowledged)
      publishes/s of a submission-sized message to a file stream of its own,
      sequential (each PubAck awaited) and pipelined with as many in flight as
      the outbox relay keeps (its batch); beside it the JetStream messages the
      saturation burst stored per decision (counted in the streams), so the
      decisions/s the server's publishes allow is the pipelined floor / that count.

``--nats-no-fsync`` runs nats-server at its default sync interval instead of
``always`` (PostgreSQL stays durable): an experiment to show how much JetStream's
fsync bounds the decisions, never the platform's setting.

Goal (issue 5): p99 ≤ 200 ms at 100 submissions/s. Results are printed and
written to bench/results/approval.json.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import os
import statistics
import sys
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script: make the repo importable
    sys.path.insert(0, str(REPO))

import asyncpg  # noqa: E402
import nats  # noqa: E402
from nats.js.api import StorageType, StreamConfig  # noqa: E402

from bench.http_path import cpu_seconds, process_tree, profiled, settle  # noqa: E402
from bench.registry import FACTS as REGISTRY_FACTS  # noqa: E402
from bench.support import arg_parser, commit_baseline, durable_platform, machine, write_results  # noqa: E402
from libs.common.events import OutboxRelay, to_nats  # noqa: E402
from libs.common.events._pipelined import PipelinedRequests  # noqa: E402
from libs.common.events._pipelined import settle as settle_replies  # noqa: E402
from libs.common.events._relay import _stored_before  # noqa: E402
from tests.support.registry import submitted_event  # noqa: E402

TENANT = "445322"
FACTS = {
    "project_class": "public",
    "service_types": ["software_development"],
    "amount": 800_000,
    "software_amount": 800_000,
    "in_annual_plan": True,
    "systems": [],
}


def submitted(project_id: str) -> tuple[str, dict[str, str], bytes]:
    today = date.today().isoformat()
    return to_nats(
        submitted_event(
            TENANT,
            {**FACTS, "submitted_on": today},
            source="bench.approval",
            name="压测项目",
            project_id=project_id,
        )
    )


class Timer:
    """Publish times by project id, and the decided events as they come back."""

    def __init__(self, expected: int) -> None:
        self.sent: dict[str, float] = {}
        self.decided: dict[str, float] = {}
        self.expected = expected
        self.all_decided = asyncio.Event()

    async def on_decided(self, msg: Any) -> None:
        now = time.perf_counter()
        pid = json.loads(msg.data)["project_id"]
        if pid in self.sent and pid not in self.decided:
            self.decided[pid] = now
            if len(self.decided) >= self.expected:
                self.all_decided.set()

    async def wait(self, limit: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.all_decided.wait(), limit)

    def latencies_ms(self, ids: list[str]) -> list[float]:
        return sorted((self.decided[i] - self.sent[i]) * 1000 for i in ids if i in self.decided)


async def steady(nats_url: str, rate: float, seconds: float) -> dict[str, Any]:
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    n = int(rate * seconds)
    timer = Timer(n)
    await nc.subscribe(f"govproj.{TENANT}.approval.project.decided", cb=timer.on_decided)
    ids: list[str] = []
    start = time.perf_counter()
    for k in range(n):
        due = start + k / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        pid = str(uuid.uuid4())
        subject, headers, payload = submitted(pid)
        timer.sent[pid] = time.perf_counter()
        await js.publish(subject, payload, headers=headers)
        ids.append(pid)
    await timer.wait(60)
    await nc.close()
    lat = timer.latencies_ms(ids)
    return {
        "rate_per_s": rate,
        "submitted": n,
        "decided": len(lat),
        "p50_ms": statistics.median(lat),
        "p99_ms": lat[min(len(lat) - 1, int(len(lat) * 0.99))],
        "max_ms": lat[-1],
    }


async def saturation(nats_url: str, burst: int) -> dict[str, Any]:
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    timer = Timer(burst)
    await nc.subscribe(f"govproj.{TENANT}.approval.project.decided", cb=timer.on_decided)
    messages = [(str(uuid.uuid4()),) for _ in range(burst)]
    start = time.perf_counter()
    for (pid,) in messages:
        subject, headers, payload = submitted(pid)
        timer.sent[pid] = time.perf_counter()
        await js.publish(subject, payload, headers=headers)
    # Each publish waits for its PubAck (JetStream fsyncs every message): how fast the
    # burst went in bounds how fast it can be decided.
    published = time.perf_counter() - start
    await timer.wait(300)
    elapsed = max(timer.decided.values()) - start
    await nc.close()
    return {
        "burst": burst,
        "decided": len(timer.decided),
        "per_s": len(timer.decided) / elapsed,
        "published_per_s": burst / published,
    }


#: The relay publishes a batch of outbox rows with all their PubAcks outstanding.
RELAY_IN_FLIGHT: int = inspect.signature(OutboxRelay).parameters["batch_size"].default


async def stored_messages(nats_url: str) -> int:
    """Messages the server's streams hold (none is removed during a run)."""
    nc = await nats.connect(nats_url)
    streams = await nc.jetstream().streams_info()
    await nc.close()
    return sum(s.state.messages for s in streams)


async def batch_sizes(admin_dsn: str, since: datetime) -> dict[str, float]:
    """Events per consumer transaction and outbox rows per relay batch since ``since``.

    ``now()`` is a transaction's start, so the distinct ``applied_at`` of the inbox
    rows count the consumer's transactions, and the distinct ``sent_at`` of the
    outbox rows the relay's batches.
    """
    conn = await asyncpg.connect(admin_dsn)
    try:
        inbox = await conn.fetchrow(
            "SELECT count(*) AS n, count(DISTINCT applied_at) AS tx "
            "FROM approval.inbox WHERE applied_at >= $1",
            since,
        )
        outbox = await conn.fetchrow(
            "SELECT count(*) AS n, count(DISTINCT sent_at) AS tx "
            "FROM approval.outbox WHERE created_at >= $1 AND sent_at IS NOT NULL",
            since,
        )
    finally:
        await conn.close()
    return {
        "consumer_events_per_transaction": inbox["n"] / max(1, inbox["tx"]),
        "relay_rows_per_batch": outbox["n"] / max(1, outbox["tx"]),
    }


async def jetstream_floor(nats_url: str, seconds: float, in_flight: int) -> dict[str, Any]:
    """Durable publishes/s of a submission-sized message on the server the platform uses.

    A stream of its own (file storage; duplicates window as the platform's), each
    message its own ``Nats-Msg-Id`` (a duplicate is acknowledged without being stored).
    Sequential: one publish at a time, its PubAck awaited. Pipelined: ``in_flight``
    written back to back and their PubAcks awaited together, as the relay does.
    """
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await js.add_stream(  # idempotent: the same config again is accepted
        StreamConfig(
            name="BENCHFLOOR",
            subjects=["benchfloor.>"],
            storage=StorageType.FILE,
            duplicate_window=7200.0,
        )
    )
    _, headers, payload = submitted(str(uuid.uuid4()))
    subject = f"benchfloor.{TENANT}.registry.project.submitted"

    def fresh() -> dict[str, str]:
        return {**headers, "Nats-Msg-Id": str(uuid.uuid4())}

    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds / 2:
        await js.publish(subject, payload, headers=fresh())
        done += 1
    sequential = done / (time.perf_counter() - start)

    requests = PipelinedRequests(nc)
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds / 2:
        futures = [await requests.send(subject, payload, fresh()) for _ in range(in_flight)]
        for outcome in await settle_replies(futures, 30.0):
            reply = outcome if isinstance(outcome, BaseException) else _stored_before(outcome)
            if reply is not False:  # an error, a timeout or a duplicate: not a stored message
                raise RuntimeError(f"floor publish not stored: {reply!r}")
            done += 1
    pipelined = done / (time.perf_counter() - start)
    await requests.close()
    await nc.close()
    return {"sequential_per_s": sequential, "pipelined_per_s": pipelined, "in_flight": in_flight}


def main() -> None:
    parser = arg_parser(__doc__)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--burst", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--profile", type=Path, default=None, help="py-spy stacks go here")
    parser.add_argument("--out", type=Path, default=None, help="results file (bench/results/)")
    parser.add_argument(
        "--nats-no-fsync",
        action="store_true",
        help="experiment: nats-server at its default sync interval, not `always`",
    )
    parser.add_argument("--floor-seconds", type=float, default=4.0)
    args = parser.parse_args()

    # The approval service alone: the submissions come straight from NATS.
    with durable_platform(
        "approval", services=("approval",), nats_fsync=not args.nats_no_fsync
    ) as bench:
        urls, nats_url = bench.urls, bench.nats_url
        raw = asyncio.run(
            commit_baseline(urls.admin, args.concurrency, 8.0, doc=json.dumps(REGISTRY_FACTS))
        )
        # Warm up: imports, pools, the first JIT of every path.
        asyncio.run(steady(nats_url, 20, 2))
        print(f"(ii)  steady {args.rate:.0f} submissions/s for {args.seconds:.0f} s ...")
        lat = asyncio.run(steady(nats_url, args.rate, args.seconds))
        print(
            f"      p50 {lat['p50_ms']:.0f} ms, p99 {lat['p99_ms']:.0f} ms, "
            f"max {lat['max_ms']:.0f} ms ({lat['decided']}/{lat['submitted']} decided)"
        )
        # The JetStream floor on both sides of the burst: the disk it fsyncs to is shared,
        # and its rate moves between minutes more than anything measured here.
        print(f"(v)   JetStream floor, {RELAY_IN_FLIGHT} in flight when pipelined, before ...")
        floor_before = asyncio.run(jetstream_floor(nats_url, args.floor_seconds, RELAY_IN_FLIGHT))
        print(
            f"      {floor_before['sequential_per_s']:,.0f} publishes/s sequential, "
            f"{floor_before['pipelined_per_s']:,.0f}/s pipelined"
        )
        print(f"(iii) saturation: {args.burst} submissions at once ...")
        tree = process_tree(bench.running.procs["approval"].pid)
        idle = settle(tree)
        messages_before = asyncio.run(stored_messages(nats_url))
        load_before = os.getloadavg()[0]
        since = datetime.now(UTC)
        before, start = cpu_seconds(tree), time.monotonic()
        sat = asyncio.run(saturation(nats_url, args.burst))
        used = cpu_seconds(tree) - before - idle * (time.monotonic() - start)
        sat["cpu_ms_per_decision"] = 1000 * max(0.0, used) / max(1, sat["decided"])
        sat["load_avg_1m"] = [load_before, os.getloadavg()[0]]
        # Settled: the relay has published the burst's last events by now.
        time.sleep(1.0)
        stored = asyncio.run(stored_messages(nats_url)) - messages_before
        sat["jetstream_messages_per_decision"] = stored / max(1, sat["decided"])
        sat.update(asyncio.run(batch_sizes(urls.admin, since)))
        print(
            f"      {sat['per_s']:,.0f} decisions/s ({sat['decided']}/{sat['burst']}), "
            f"approval CPU {sat['cpu_ms_per_decision']:.2f} ms a decision "
            f"(published at {sat['published_per_s']:,.0f}/s; "
            f"{sat['jetstream_messages_per_decision']:.2f} JetStream messages a decision; "
            f"load {load_before:.1f} → {os.getloadavg()[0]:.1f})\n"
            f"      {sat['consumer_events_per_transaction']:.1f} events a consumer transaction, "
            f"{sat['relay_rows_per_batch']:.1f} rows a relay batch"
        )
        print("(v)   ... and after")
        floor_after = asyncio.run(jetstream_floor(nats_url, args.floor_seconds, RELAY_IN_FLIGHT))
        print(
            f"      {floor_after['sequential_per_s']:,.0f} publishes/s sequential, "
            f"{floor_after['pipelined_per_s']:,.0f}/s pipelined"
        )
        floor = {
            key: (floor_before[key] + floor_after[key]) / 2
            for key in ("sequential_per_s", "pipelined_per_s")
        }
        floor.update(in_flight=RELAY_IN_FLIGHT, before=floor_before, after=floor_after)
        profile: dict[str, Any] = {}
        if args.profile is not None:
            print("(iv)  py-spy on the approval process under a second burst ...")
            args.profile.mkdir(parents=True, exist_ok=True)
            settle(tree)
            profile = profiled(
                tree[0],
                args.profile / "decisions.txt",
                max(5.0, args.burst / max(sat["per_s"], 1.0) + 2),
                lambda: saturation(nats_url, args.burst),
            )
            layers = profile.get("layers", {})
            print("      " + ", ".join(f"{k} {v:.0%}" for k, v in layers.items()))

    ratio = sat["per_s"] / raw
    per_decision = max(sat["jetstream_messages_per_decision"], 1.0)
    # The decisions/s JetStream's durable publishes allow, were they all the server did
    # (the floor's mean over both sides of the burst).
    budget = {kind: floor[f"{kind}_per_s"] / per_decision for kind in ("sequential", "pipelined")}
    ratios = {
        "decisions_per_s_vs_raw_commits": ratio,
        "decisions_per_s_vs_jetstream_budget_pipelined": sat["per_s"] / budget["pipelined"],
        "decisions_per_s_vs_jetstream_budget_sequential": sat["per_s"] / budget["sequential"],
    }
    results = {
        "machine": machine(),
        "params": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "raw_commits_per_s": raw,
        "jetstream_floor": floor,
        "jetstream_decision_budget_per_s": budget,
        "steady": lat,
        "saturation": sat,
        "profile": profile,
        "ratios": ratios,
        "goals": {"p99_le_200ms_at_100_per_s": lat["p99_ms"] <= 200 and args.rate >= 100},
    }
    print(f"decisions/s / raw commits/s = {ratio:.1%}")
    print(
        f"JetStream budget ({per_decision:.2f} messages a decision): "
        f"{budget['pipelined']:,.0f} decisions/s pipelined, {budget['sequential']:,.0f} "
        f"sequential; decisions/s / pipelined budget = "
        f"{ratios['decisions_per_s_vs_jetstream_budget_pipelined']:.1%}, "
        f"/ sequential budget = {ratios['decisions_per_s_vs_jetstream_budget_sequential']:.1%}"
    )
    print(
        f"p99 at {args.rate:.0f}/s = {lat['p99_ms']:.0f} ms (goal <= 200 ms at 100/s: "
        f"{'met' if results['goals']['p99_le_200ms_at_100_per_s'] else 'NOT met'})"
    )
    write_results("approval", results, args.out)


if __name__ == "__main__":
    main()
