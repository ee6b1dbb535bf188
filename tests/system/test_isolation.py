"""The isolation sweep: every route and method of every service's OpenAPI, every kind of caller.

What a user would notice if it failed: a county reading or changing another
county's project, a city reading a city it does not oversee, anyone at all
getting in without a valid token from our issuer.
"""

from __future__ import annotations

from bench.lifecycle import Stack
from tests.system.sweep import ANONYMOUS, Canary, sweep


def test_no_caller_outside_the_tenant_tree_sees_or_changes_anything(
    stack: Stack, canary: Canary
) -> None:
    report = sweep(stack.platform, canary)
    assert report.operations >= 100  # every service's routes, not a sample
    assert report.findings == [], "\n".join(
        f"{f.caller:24s} {f.method:6s} {f.service}{f.path} → {f.status}: {f.why}"
        for f in report.findings[:40]
    )
    assert report.canary_changed == {}
    # Nothing but health and the API description answers without a valid token.
    assert all(
        p.split()[2].startswith(
            ("/healthz", "/readyz", "/openapi.json", "/docs", "/metrics", "/livez", "/redoc")
        )
        for p in report.public
    ), report.public
    for caller in ANONYMOUS:
        statuses = report.statuses[caller]
        assert set(statuses) <= {200, 401}, (caller, statuses)
    # The owner reads its own canary; the parent city's overseer may too (it oversees 445102).
    assert report.statuses["owner"][200] > 0
    assert report.statuses["parent overseer"][200] > 0
