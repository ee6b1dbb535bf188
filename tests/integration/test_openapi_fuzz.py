"""Schemathesis over every service's OpenAPI, with real tokens: nothing a client sends gives a 5xx."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from libs.common.settings import SERVICES
from libs.common.testing.platform import RunningPlatform

ROLES = ("platform_admin", "bureau_officer", "unit_officer", "overseer")


@pytest.mark.parametrize("service", SERVICES)
def test_no_server_errors_under_fuzzing(platform: RunningPlatform, service: str) -> None:
    schema = schemathesis.openapi.from_url(platform.urls[service] + "/openapi.json")
    headers = {r: platform.headers("445322", r) for r in ROLES}
    failures: list[str] = []
    calls = 0
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(
            max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), database=None
        )
        @given(case=operation.as_strategy())
        def fuzz(case: schemathesis.Case) -> None:
            nonlocal calls
            for role in ROLES:
                response = case.call(headers=headers[role])
                calls += 1
                if response.status_code >= 500:
                    failures.append(
                        f"{role} {case.method} {case.formatted_path}: {response.status_code} "
                        f"{response.text[:200]}"
                    )
                elif response.status_code >= 400:
                    content_type = response.headers.get("content-type") or [""]
                    assert content_type[0].startswith("application/problem+json"), (
                        f"{case.method} {case.formatted_path}: {response.status_code} is not problem+json"
                    )

        fuzz()
    assert calls > 0
    assert failures == []
