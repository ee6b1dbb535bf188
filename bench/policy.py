"""Benchmark: full policy decisions (with trace) against bare CEL evaluations.

Run ``python bench/policy.py``. Loads the real packs under ``policies/`` (or
the engine's test fixture pack when there are none), pins the process to one
core, then times on the same core and in the same run:

* N full decisions: ``evaluate(pack, facts, on)`` with the whole trace, over a
  rotating set of realistic facts (and, separately, validate + evaluate);
* the same decisions with nothing remembered: the pack's remembered results of
  the conditions that walk the systems (libs/policy/evaluator.py) forgotten
  before every decision, the cost of a project whose systems the pack has not
  seen yet;
* a quarter as many with nothing kept at all: also the results and residual
  programs of the conditions kept by their flags and enums (``forget()``), as
  in the first decisions after a pack loads;
* N bare CEL evaluations of one simple expression with a prebuilt context,
  the floor any CEL-based engine pays per rule.

Prints the rates and the ratio and writes ``bench/results/policy.json``.
The goal is ≥ 20,000 decisions/s on the largest pack (issue 21).

``--baseline REF`` first runs this same benchmark on the engine of git REF (its
libs/, policies/ and bench/, exported to a scratch folder) in a child process
pinned to the same core, then prints decisions/s before and after per pack.

Then the what-if impact (issue 17): 10,000 stored submissions of 郁南县 (facts
and decision as JSON text, as the approval schema hands them over) re-decided
under a candidate that lowers 第十条's threshold from 50万 to 40万, against
plain validate + decide of the same 10,000 in the same run. Goal: < 5 s.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import cel  # noqa: E402

from libs.policy import Pack, evaluate, load_registry, validate_facts  # noqa: E402
from libs.policy.candidate import load_candidate  # noqa: E402
from libs.policy.impact import StoredSubmission, impact  # noqa: E402

N = int(os.environ.get("BENCH_N", "20000"))
GOAL = 20_000
IMPACT_N = int(os.environ.get("BENCH_IMPACT_N", "10000"))
IMPACT_GOAL_S = 5.0

SERVICE_MIXES = [
    ["software_development"],
    ["infrastructure"],
    ["operations_maintenance"],
    ["software_development", "operations_maintenance"],
    ["third_party"],
    ["business_operation", "software_development"],
]
AMOUNTS = [
    30_000,
    99_999,
    100_000,
    480_000,
    500_000,
    800_000,
    1_000_000,
    1_000_001,
    2_500_000,
    6_000_000,
    12_000_000,
]


def _rules(pack: Pack) -> int:
    spec = pack.spec
    return (
        len(spec.scope)
        + len(spec.routes)
        + sum(len(t.bands) for t in spec.routes)
        + len(spec.requirements)
        + len(spec.time_limits)
    )


def _facts(pack: Pack, on: date) -> list[dict[str, Any]]:
    """Realistic, varied projects: classes, services, amounts, crypto, systems."""
    out: list[dict[str, Any]] = []
    combos = itertools.product(["public", "professional"], SERVICE_MIXES, AMOUNTS)
    for i, (cls, services, amount) in enumerate(combos):
        facts: dict[str, Any] = {
            "project_class": cls,
            "service_types": services,
            "amount": amount,
            "software_amount": amount // 2 if "software_development" in services else 0,
            "uses_crypto": i % 3 == 0,
            "new_fiscal_funds": i % 2 == 0,
            "submitted_on": on.isoformat(),
            "systems": [
                f"sys-{i}",
                {"id": f"sys-{i}-b", "relation": "upgrade", "shares_data": i % 5 != 0},
            ],
        }
        if pack.tenant == "370683":  # Laizhou sorts projects into three categories
            facts["category"] = ["governance", "public_service", "market_operation"][i % 3]
        if i % 17 == 0:
            facts["classified"] = True
        try:
            validate_facts(pack, facts)
        except Exception:  # noqa: S112 (a pack may require facts of its own; skip those)
            continue
        out.append(facts)
    return out


def _pin_one_core() -> str:
    if hasattr(os, "sched_setaffinity"):
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"cpu {cpu}"
    return "not pinned"


def _time(fn: Any, n: int) -> float:
    """CPU seconds of ``fn(n)`` on this (pinned) core.

    CPU time rather than wall time: on a shared machine other processes would
    otherwise be billed to whichever side happened to run while they did.
    """
    gc.collect()
    gc.disable()  # collections would land on whichever side happens to allocate last
    try:
        start = time.process_time()
        fn(n)
        return time.process_time() - start
    finally:
        gc.enable()


def bench_pack(pack: Pack, n: int) -> dict[str, Any]:
    """Time n decisions of one pack, n validate+decide, and n bare CEL evaluations."""
    on = pack.validity.effective_from or date(2025, 3, 1)
    raws = _facts(pack, on)
    facts = [validate_facts(pack, r) for r in raws]
    k = len(facts)
    trace_len = sum(len(evaluate(pack, f, on).trace) for f in facts) / k

    def decisions(n: int) -> None:
        for i in range(n):
            evaluate(pack, facts[i % k], on)

    def validated(n: int) -> None:
        for i in range(n):
            evaluate(pack, validate_facts(pack, raws[i % k]), on)

    memo = getattr(pack.compiled, "memo", None)  # absent on engines before issue 21
    # Everything a pack keeps; engines before forget() kept at most ``memo``.
    forget = getattr(pack.compiled, "forget", None) or (memo.clear if memo is not None else None)

    def cold(n: int) -> None:
        for i in range(n):
            if memo is not None:
                memo.clear()
            evaluate(pack, facts[i % k], on)

    def nothing_kept(n: int) -> None:
        for i in range(n):
            if forget is not None:
                forget()
            evaluate(pack, facts[i % k], on)

    program = cel.compile("amount >= 500000")
    context = cel.Context({"amount": 600_000})

    def bare(n: int) -> None:
        execute = program.execute
        for _ in range(n):
            execute(context)

    variables = {"amount": 600_000}

    def bare_dict(n: int) -> None:
        # The naive way: a Python dict converted on every call.
        execute = program.execute
        for _ in range(n):
            execute(variables)

    decisions(min(n, 1000))  # warm up caches
    bare(min(n, 1000))
    # Interleave the sides so a burst of load on the machine hits both alike.
    t_dec = t_val = t_cel = t_dict = t_cold = t_none = 0.0
    for _ in range(4):
        t_dec += _time(decisions, n // 4)
        t_cel += _time(bare, n // 4)
        t_val += _time(validated, n // 4)
        t_dict += _time(bare_dict, n // 4)
        t_cold += _time(cold, n // 4)
        t_none += _time(nothing_kept, n // 16)
    n_none = n // 16 * 4
    n = n // 4 * 4
    dec_rate, val_rate, cel_rate = n / t_dec, n / t_val, n / t_cel
    return {
        "pack": pack.id,
        "rules": _rules(pack),
        "facts_variants": k,
        "mean_trace_entries": round(trace_len, 1),
        "n": n,
        "decisions_per_s": round(dec_rate),
        "validate_and_decide_per_s": round(val_rate),
        "nothing_remembered_per_s": round(n / t_cold),
        "nothing_kept_per_s": round(n_none / t_none),
        "bare_cel_per_s": round(cel_rate),
        "us_per_decision": round(1e6 / dec_rate, 1),
        "us_per_bare_cel": round(1e6 / cel_rate, 2),
        "bare_cel_dict_context_per_s": round(n / t_dict),
        "ratio_decision_to_cel": round(cel_rate / dec_rate, 1),
    }


def bench_impact(registry: Any, root: Path, n: int) -> dict[str, Any] | None:
    """Time impact() over n stored 郁南 submissions against plain decisions of the same."""
    if "yunan-2024" not in registry:
        return None
    pack = registry.get("yunan-2024")
    on = date(2025, 3, 1)
    raws = _facts(pack, on)
    rows: list[tuple[str, str]] = []
    for i in range(n):
        raw = {**raws[i % len(raws)], "amount": 50_000 + (i * 7919) % 2_000_000}
        raw["software_amount"] = min(raw.get("software_amount", 0), raw["amount"])
        # What the approval schema hands over (discretion/impact.py selects these parts).
        decision = evaluate(pack, validate_facts(pack, raw), on).model_dump(
            mode="json", include={"route", "requirements", "time_limits"}
        )
        rows.append((json.dumps(raw, ensure_ascii=False), json.dumps(decision, ensure_ascii=False)))
    text = (root / "445322-yunan" / "2024-08-17.yaml").read_text(encoding="utf-8")
    text = text.replace("id: yunan-2024", "id: yunan-bench-candidate", 1)
    text = text.replace(
        "approval_min: {type: amount, value: 500000", "approval_min: {type: amount, value: 400000"
    )
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "candidate.yaml"
        path.write_text(text, encoding="utf-8")
        candidate = load_candidate(root, path)
    changed = 0

    def run_impact(_: int) -> None:
        nonlocal changed
        stored = [
            StoredSubmission(f"p{i}", 1, on, json.loads(f), json.loads(d))
            for i, (f, d) in enumerate(rows)
        ]
        changed = impact(candidate, stored).changed

    def plain(_: int) -> None:
        for f, _d in rows:
            evaluate(pack, validate_facts(pack, json.loads(f)), on)

    t_impact = t_plain = 0.0
    for _ in range(2):  # interleaved, as above; the best of two runs of each
        a, b = _time(run_impact, n), _time(plain, n)
        t_impact = a if not t_impact else min(t_impact, a)
        t_plain = b if not t_plain else min(t_plain, b)
    return {
        "stored_submissions": n,
        "changed": changed,
        "impact_s": round(t_impact, 3),
        "plain_decisions_s": round(t_plain, 3),
        "plain_decisions_per_s": round(n / t_plain),
        "impact_per_s": round(n / t_impact),
        "ratio_impact_to_plain": round(t_impact / t_plain, 2),
        "goal_s": IMPACT_GOAL_S,
        "goal_met": t_impact < IMPACT_GOAL_S,
    }


def _baseline(ref: str) -> dict[str, int]:
    """Decisions/s per pack of the engine at git ``ref``: its own bench, same core, same N."""
    with tempfile.TemporaryDirectory() as scratch:
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", ref, "libs", "policies", "bench"],
            check=True,
            capture_output=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", scratch], input=archive, check=True)
        env = {**os.environ, "BENCH_IMPACT_N": "0"}
        subprocess.run(
            [sys.executable, str(Path(scratch) / "bench" / "policy.py")],
            check=True,
            env=env,
            stdout=subprocess.DEVNULL,
        )
        result = json.loads((Path(scratch) / "bench" / "results" / "policy.json").read_text())
    return {r["pack"]: r["decisions_per_s"] for r in result["packs"]}


def _packs() -> tuple[Any, list[Pack]]:
    """The registry and its packs in force or draft, largest first (the fixture if none)."""
    root = ROOT / "policies"
    try:
        registry = load_registry(root)
        packs = [p for p in registry.packs if p.status != "repealed"]
    except Exception as exc:  # an empty or broken policies/ falls back to the fixture
        print(f"policies/ not usable ({exc}); using the engine's fixture pack", file=sys.stderr)
        packs = []
    if not packs:
        registry = load_registry(ROOT / "libs" / "policy" / "tests" / "fixtures" / "policies")
        packs = list(registry.packs)
    packs.sort(key=_rules, reverse=True)
    return registry, packs


def _report(rows: list[dict[str, Any]], before: dict[str, int] | None) -> None:
    head = f"{'pack':<28}{'rules':>6}{'trace':>7}"
    if before is not None:
        head += f"{'before/s':>11}"
    print(
        head + f"{'decisions/s':>13}{'cold/s':>10}{'none kept/s':>13}{'+validate/s':>13}"
        f"{'bare CEL/s':>13}{'ratio':>7}"
    )
    for r in rows:
        line = f"{r['pack']:<28}{r['rules']:>6}{r['mean_trace_entries']:>7}"
        if before is not None:
            line += f"{before.get(r['pack'], 0):>11,}"
        print(
            line + f"{r['decisions_per_s']:>13,}{r['nothing_remembered_per_s']:>10,}"
            f"{r['nothing_kept_per_s']:>13,}{r['validate_and_decide_per_s']:>13,}"
            f"{r['bare_cel_per_s']:>13,}{r['ratio_decision_to_cel']:>7}"
        )
    headline = rows[0]
    ok = headline["decisions_per_s"] >= GOAL
    print(
        f"largest pack {headline['pack']}: {headline['decisions_per_s']:,} decisions/s "
        f"({headline['us_per_decision']} µs; {headline['nothing_remembered_per_s']:,}/s with "
        f"nothing remembered) vs {headline['bare_cel_per_s']:,} bare CEL/s "
        f"({headline['us_per_bare_cel']} µs): one decision = "
        f"{headline['ratio_decision_to_cel']} bare CEL evaluations; "
        f"goal {GOAL:,}/s {'met' if ok else 'NOT met'}"
    )


def _report_impact(what_if: dict[str, Any]) -> None:
    print(
        f"what-if impact: {what_if['stored_submissions']:,} stored submissions re-decided and "
        f"compared in {what_if['impact_s']} s ({what_if['impact_per_s']:,}/s; {what_if['changed']:,} "
        f"change) vs plain validate+decide {what_if['plain_decisions_s']} s "
        f"({what_if['plain_decisions_per_s']:,}/s): ratio {what_if['ratio_impact_to_plain']}; "
        f"goal < {IMPACT_GOAL_S} s {'met' if what_if['goal_met'] else 'NOT met'}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", metavar="REF", help="also run the engine of git REF first")
    args = parser.parse_args()
    pinned = _pin_one_core()
    before = _baseline(args.baseline) if args.baseline else None
    registry, packs = _packs()
    headline = bench_pack(packs[0], N)
    others = [bench_pack(p, max(N // 5, 1000)) for p in packs[1:]]

    print(f"policy engine benchmark ({pinned}, CPU time, Python {platform.python_version()})")
    if args.baseline:
        print(f"before: the engine of {args.baseline}, run first on the same core")
    _report([headline, *others], before)
    root = ROOT / "policies"
    what_if = None
    if IMPACT_N and packs and root.is_dir():
        what_if = bench_impact(registry, root, IMPACT_N)
    if what_if is not None:
        _report_impact(what_if)

    out = ROOT / "bench" / "results" / "policy.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "benchmark": "policy",
                "pinned": pinned,
                "python": platform.python_version(),
                "goal_decisions_per_s": GOAL,
                "goal_met": headline["decisions_per_s"] >= GOAL,
                "baseline": {"ref": args.baseline, "decisions_per_s": before} if before else None,
                "headline": headline,
                "packs": [headline, *others],
                "impact": what_if,
            },
            ensure_ascii=False,
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
