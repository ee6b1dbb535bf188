"""Pages whose rows used to cost one service call each: the console asks the same
number of times for two rows as for ten (its Server-Timing header counts them)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from libs.common.deadlines import today_in_china
from libs.common.testing.platform import RunningPlatform
from libs.vocab import label
from tests.browser.support import login, look, service_calls

YUNAN = "445322"
pytestmark = pytest.mark.timeout(900)


@pytest.fixture(scope="module")
def registry(browser_platform: RunningPlatform) -> Iterator[httpx.Client]:
    with browser_platform.client("registry") as client:
        yield client


def test_a_system_page_asks_the_same_for_ten_linked_projects_as_for_two(
    new_page: Any, browser_platform: RunningPlatform, registry: httpx.Client
) -> None:
    bureau_headers = browser_platform.headers(YUNAN, "bureau_officer")
    tag = uuid.uuid4().hex[:6]
    unit = registry.post("/v1/units", headers=bureau_headers, json={"name": f"目录单位{tag}"})
    assert unit.status_code == 201, unit.text
    unit_id = unit.json()["id"]
    system = registry.post(
        "/v1/systems", headers=bureau_headers, json={"unit_id": unit_id, "name": f"目录系统{tag}"}
    )
    assert system.status_code == 201, system.text
    system_id = system.json()["id"]
    officer = browser_platform.headers(YUNAN, "unit_officer", unit=unit_id)

    states: set[str] = set()

    def link(first: int, last: int) -> None:
        for n in range(first, last):
            body = {
                "name": f"升级项目{tag}{n:02d}",
                "unit_id": unit_id,
                "year": today_in_china().year,
                "facts": {
                    "project_class": "professional",
                    "service_types": ["software_development"],
                    "amount": 300_000,
                },
                "systems": [{"system_id": system_id, "relation": "upgrade"}],
            }
            r = registry.post("/v1/projects", headers=officer, json=body)
            assert r.status_code == 201, r.text
            states.add(r.json()["state"])

    bureau = new_page()
    login(bureau, tenant=YUNAN, role="bureau_officer")
    link(0, 2)
    few = bureau.goto(f"/catalog/{system_id}")
    assert few is not None and few.status == 200
    shown = bureau.inner_text("main")
    assert f"升级项目{tag}00" in shown and f"升级项目{tag}01" in shown
    link(2, 10)
    many = bureau.goto(f"/catalog/{system_id}")
    assert many is not None
    assert service_calls(many) == service_calls(few)  # none per linked project
    shown = bureau.inner_text("main")
    # Each project by its name and state, never its id.
    assert all(f"升级项目{tag}{n:02d}" in shown for n in range(10))
    assert all(f"升级改造，{label('state', s)}" in shown for s in states)
    assert "（不可见的项目）" not in shown
    look(bureau, "row-calls-01-system-projects")
