"""Schemathesis over every service's OpenAPI with a token of each role (used by the test and the full run)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from libs.common.auth import ROLES
from libs.common.settings import SERVICES
from libs.common.testing.platform import RunningPlatform
from tests.system.sweep import SIBLING, Canary


@dataclass
class FuzzReport:
    calls: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    schema_violations: list[str] = field(default_factory=list)
    not_problem_json: list[str] = field(default_factory=list)
    leaks: list[str] = field(default_factory=list)
    operations: int = 0


def fuzz(
    platform: RunningPlatform,
    canary: Canary,
    *,
    examples: int,
    services: tuple[str, ...] = SERVICES,
    tenant: str = SIBLING,
) -> FuzzReport:
    """Generated requests from a county next to the canary's, as every role in turn."""
    report = FuzzReport()
    headers = {r: platform.headers(tenant, r) for r in sorted(ROLES)}
    for service in services:
        schema = schemathesis.openapi.from_url(platform.urls[service] + "/openapi.json")
        for result in schema.get_all_operations():
            report.operations += 1
            _fuzz_operation(result.ok(), service, headers, canary, report, examples)
    return report


def _fuzz_operation(
    operation: Any,
    service: str,
    headers: dict[str, dict[str, str]],
    canary: Canary,
    report: FuzzReport,
    examples: int,
) -> None:
    @settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    @given(case=operation.as_strategy())
    def run(case: schemathesis.Case) -> None:
        for role, h in headers.items():
            response = case.call(headers=h)
            report.calls += 1
            report.statuses[response.status_code] += 1
            where = f"{service} {role} {case.method} {case.formatted_path}"
            if canary.marker in response.text:
                report.leaks.append(where)
            if response.status_code >= 500:
                report.server_errors.append(
                    f"{where}: {response.status_code} {response.text[:200]}"
                )
                continue
            if response.status_code >= 400:
                ctype = (response.headers.get("content-type") or [""])[0]
                if not ctype.startswith("application/problem+json"):
                    report.not_problem_json.append(f"{where}: {response.status_code}")
            try:
                case.validate_response(
                    response, checks=[not_a_server_error, response_schema_conformance]
                )
            except Exception as exc:  # schemathesis raises a group of check failures
                report.schema_violations.append(f"{where}: {str(exc)[:300]}")

    run()
