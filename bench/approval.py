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
      second burst (raw stacks in DIR, shares by layer printed).

Goal (issue 5): p99 ≤ 200 ms at 100 submissions/s. Results are printed and
written to bench/results/approval.json.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import statistics
import sys
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script: make the repo importable
    sys.path.insert(0, str(REPO))

import nats  # noqa: E402

from bench.http_path import cpu_seconds, process_tree, profiled, settle  # noqa: E402
from bench.registry import FACTS as REGISTRY_FACTS  # noqa: E402
from bench.support import arg_parser, commit_baseline, durable_platform, machine, write_results  # noqa: E402
from libs.common.events import make_event, system_actor, to_nats  # noqa: E402

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
    event = make_event(
        tenant=TENANT,
        service="registry",
        aggregate="project",
        event="submitted",
        data={
            "tenant": TENANT,
            "project_id": project_id,
            "unit_id": str(uuid.uuid4()),
            "name": "压测项目",
            "year": date.today().year + 1,
            "amount": FACTS["amount"],
            "state": "submitted",
            "version": 2,
            "submission": 1,
            "submitted_on": today,
            "facts": {**FACTS, "submitted_on": today},
        },
        actor=system_actor("bench.approval", TENANT),
    )
    return to_nats(event)


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


def main() -> None:
    parser = arg_parser(__doc__)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--burst", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--profile", type=Path, default=None, help="py-spy stacks go here")
    parser.add_argument("--out", type=Path, default=None, help="results file (bench/results/)")
    args = parser.parse_args()

    # The approval service alone: the submissions come straight from NATS.
    with durable_platform("approval", services=("approval",)) as bench:
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
        print(f"(iii) saturation: {args.burst} submissions at once ...")
        tree = process_tree(bench.running.procs["approval"].pid)
        idle = settle(tree)
        before, start = cpu_seconds(tree), time.monotonic()
        sat = asyncio.run(saturation(nats_url, args.burst))
        used = cpu_seconds(tree) - before - idle * (time.monotonic() - start)
        sat["cpu_ms_per_decision"] = 1000 * max(0.0, used) / max(1, sat["decided"])
        print(
            f"      {sat['per_s']:,.0f} decisions/s ({sat['decided']}/{sat['burst']}), "
            f"approval CPU {sat['cpu_ms_per_decision']:.2f} ms a decision "
            f"(published at {sat['published_per_s']:,.0f}/s)"
        )
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
    results = {
        "machine": machine(),
        "params": vars(args),
        "raw_commits_per_s": raw,
        "steady": lat,
        "saturation": sat,
        "profile": profile,
        "ratios": {"decisions_per_s_vs_raw_commits": ratio},
        "goals": {"p99_le_200ms_at_100_per_s": lat["p99_ms"] <= 200 and args.rate >= 100},
    }
    print(f"decisions/s / raw commits/s = {ratio:.1%}")
    print(
        f"p99 at {args.rate:.0f}/s = {lat['p99_ms']:.0f} ms (goal <= 200 ms at 100/s: "
        f"{'met' if results['goals']['p99_le_200ms_at_100_per_s'] else 'NOT met'})"
    )
    write_results("approval", results, args.out)


if __name__ == "__main__":
    main()
