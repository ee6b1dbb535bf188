"""Whole lifecycles under load while every part of the platform is SIGKILLed and restarted.

Short version of ``python -m tests.system.full``: one project per county
(郁南, 湘桥, 潮安, 饶平, 坡头, 莱州) started once a second; while they run, each
service (its API, outbox relay and consumers die with it), nats-server and
PostgreSQL are killed with SIGKILL in turn and restarted. Afterwards the stack
drains and the invariants are counted.
"""

from __future__ import annotations

import json
import threading

from bench.lifecycle import (
    LOAD_TENANTS,
    Api,
    FaultLog,
    Stack,
    check_invariants,
    drain,
    fault_loop,
    fault_targets,
    run_load,
    summarise,
)


def test_every_project_completes_and_nothing_is_lost_or_doubled_under_sigkill(
    stack: Stack,
) -> None:
    api = Api(stack.platform)
    log: list[FaultLog] = []
    stop = threading.Event()
    faults = threading.Thread(target=fault_loop, args=(stack, stop, 2.0, log), daemon=True)
    try:
        runs, wall = run_load(
            api,
            len(LOAD_TENANTS),
            1.0,
            year=2030,
            on_tick=lambda: faults.is_alive() or faults.start(),
            stage_timeout=90.0,
        )
    finally:
        stop.set()
        faults.join(600)
        api.close()
    assert [f.target for f in log][: len(fault_targets())] == fault_targets()
    assert [f.error for f in log if f.error] == []
    drain(stack)
    summary = summarise(runs, wall)
    invariants = check_invariants(stack, runs)
    assert invariants["violations"] == [], invariants
    # Every submitted project reached a decision, and every one went the whole way its pack allows.
    assert invariants["decisions"]["decided"] == invariants["decisions"]["submitted"] == len(runs)
    assert all(not d for d in invariants["dead_letters"].values()), invariants["dead_letters"]
    print(
        json.dumps(
            {"summary": summary, "invariants": invariants, "faults": [vars(f) for f in log]},
            ensure_ascii=False,
            default=str,
        )
    )
    # No project is left behind by the registry although its events reached it (the lost
    # ORM changes between tenants, fixed). A project whose next stage did not come within
    # the driver's wait under a fault is reported above, not failed: the invariants the
    # issue names (decided, nothing lost or doubled, no byte changed) are asserted above.
    assert invariants["stalled"] == {}, invariants["stalled"]
    assert all(reason.startswith("TimeoutError") for reason in summary["stopped"]), summary
