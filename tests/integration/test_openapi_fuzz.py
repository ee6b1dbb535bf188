"""Schemathesis over every service's OpenAPI, with a real token: nothing a client sends gives a 5xx."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from libs.common.settings import SERVICES
from libs.common.testing.platform import RunningPlatform


@pytest.mark.parametrize("service", SERVICES)
def test_no_server_errors_under_fuzzing(platform: RunningPlatform, service: str) -> None:
    schema = schemathesis.openapi.from_url(platform.urls[service] + "/openapi.json")
    roles = ("platform_admin", "bureau_officer", "unit_officer")
    headers = {r: platform.headers("445322", r) for r in roles}
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @operation.as_strategy().__class__ and schemathesis.given(case=operation.as_strategy())  # type: ignore[misc]
        def run(case: schemathesis.Case) -> None:
            for role in roles:
                response = case.call(headers=headers[role])
                if response.status_code >= 500:
                    failures.append(f"{role} {case.method} {case.formatted_path} -> {response.status_code}")

        run()
    assert failures == []
