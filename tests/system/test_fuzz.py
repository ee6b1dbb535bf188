"""Schemathesis over every service with a token of each role: no 5xx, responses as documented,
errors as problem+json, and never the canary of the county next door."""

from __future__ import annotations

from bench.lifecycle import Stack
from tests.system.fuzz import fuzz
from tests.system.sweep import Canary


def test_generated_requests_of_every_role_get_no_5xx_and_no_other_tenants_data(
    stack: Stack, canary: Canary
) -> None:
    report = fuzz(stack.platform, canary, examples=4)
    assert report.calls > 0 and report.operations >= 100
    assert report.server_errors == []
    assert report.leaks == []
    assert report.not_problem_json == []
    assert report.schema_violations == []
