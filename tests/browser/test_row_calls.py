"""Pages whose rows used to cost one service call each: the console asks the same
number of times for two rows as for ten (its Server-Timing header counts them); and
the dashboard's late deadlines, which it finds in one call whether swept or not."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import date
from typing import Any

import httpx
import pytest

from libs.common.deadlines import today_in_china
from libs.common.testing.platform import RunningPlatform
from libs.vocab import label
from tests.browser.support import login, look, service_calls
from tests.integration import acceptance_support as acc
from tests.support.registry import wait_state

YUNAN, LAIZHOU, YANTAI = "445322", "370683", "370600"
pytestmark = pytest.mark.timeout(900)


@pytest.fixture(scope="module")
def clients(browser_platform: RunningPlatform) -> Iterator[dict[str, httpx.Client]]:
    services = ("registry", "approval", "budget", "acceptance", "archive")
    opened = {s: browser_platform.client(s) for s in services}
    yield {s: c.__enter__() for s, c in opened.items()}
    for c in opened.values():
        c.__exit__(None, None, None)


def test_a_system_page_asks_the_same_for_ten_linked_projects_as_for_two(
    new_page: Any, browser_platform: RunningPlatform, clients: dict[str, httpx.Client]
) -> None:
    registry = clients["registry"]
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


def test_the_draws_page_asks_the_same_for_ten_draws_as_for_two(
    new_page: Any, browser_platform: RunningPlatform, clients: dict[str, httpx.Client]
) -> None:
    # An accepted 莱州 project is drawable (第三十四条); each year's draw picks it.
    pid = acc.laizhou_project(browser_platform, clients)
    acc.accept_laizhou(browser_platform, clients, pid, date(2024, 5, 6))
    wait_state(browser_platform, clients["registry"], LAIZHOU, pid, "accepted")
    name = (
        clients["registry"]
        .get(f"/v1/projects/{pid}", headers=browser_platform.headers(LAIZHOU, "bureau_officer"))
        .json()["name"]
    )
    bureau_headers = browser_platform.headers(LAIZHOU, "bureau_officer")
    register = clients["acceptance"].get("/v1/draw-register", headers=bureau_headers).json()

    def draw(years: range) -> None:
        # Years no other test draws in: one draw per jurisdiction and year.
        for year in years:
            body = {"year": year, "count": len(register)}
            made = clients["acceptance"].post("/v1/draws", headers=bureau_headers, json=body)
            assert made.status_code == 201, made.text
            done = clients["acceptance"].post(
                f"/v1/draws/{made.json()['draw_id']}/execution", headers=bureau_headers
            )
            assert done.status_code == 200, done.text

    bureau = new_page()
    login(bureau, tenant=LAIZHOU, role="bureau_officer")
    draw(range(2090, 2092))
    few = bureau.goto("/draws")
    assert few is not None and few.status == 200
    draw(range(2092, 2100))
    many = bureau.goto("/draws")
    assert many is not None
    assert service_calls(many) == service_calls(few)  # none per draw, none per project
    drawn = bureau.locator("section:has(#draws-h)")
    for year in range(2090, 2100):
        assert drawn.locator("article").filter(has_text=f"{year}年度").count() == 1
    text = drawn.inner_text()
    assert text.count("按公开种子重算结果一致，种子与承诺相符") >= 10
    assert text.count(name) >= 10 and "（未命名项目）" not in text
    look(bureau, "row-calls-02-draws")


def _acceptance_due(
    platform: RunningPlatform, c: dict[str, httpx.Client], pid: str
) -> dict[str, Any]:
    headers = platform.headers(LAIZHOU, "bureau_officer")
    listed = c["acceptance"].get("/v1/deadlines", headers=headers, params={"project_id": pid})
    (due,) = [d for d in listed.json() if d["code"] == "acceptance_due"]
    return dict(due)


def _past_due_unswept(platform: RunningPlatform, c: dict[str, httpx.Client]) -> str:
    """A 莱州 project whose acceptance is past due and not yet marked by the hourly sweep.

    The sweep's first round comes 10 s after the service starts: a project made around
    then may be swept at once. If it is, that round is behind us and the next project
    stays unswept for the hour."""
    pid = acc.laizhou_project(platform, c)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if _acceptance_due(platform, c, pid)["status"] == "overdue":
            return acc.laizhou_project(platform, c)
        time.sleep(1)
    return pid


def test_the_dashboard_shows_a_deadline_past_due_before_the_sweep_marks_it(
    new_page: Any, browser_platform: RunningPlatform, clients: dict[str, httpx.Client]
) -> None:
    # Completed 2024-03-04: acceptance was due 2024-09-04 (莱州 第二十三条第二款).
    pid = _past_due_unswept(browser_platform, clients)
    due = _acceptance_due(browser_platform, clients, pid)
    # Past, but still open: a list of the deadlines the sweep has marked would miss it.
    assert due["status"] == "open" and due["due_on"] < today_in_china().isoformat()
    headers = browser_platform.headers(LAIZHOU, "bureau_officer")
    name = clients["registry"].get(f"/v1/projects/{pid}", headers=headers).json()["name"]
    overseer = new_page()
    login(overseer, tenant=YANTAI, role="overseer")
    overseer.goto(f"/dashboard?county={LAIZHOU}")
    rows = overseer.locator("main table tr").filter(has_text=name)
    late = rows.filter(has_text=label("time_limit", "acceptance_due"))
    assert late.count() == 1 and due["due_on"] in late.inner_text()
    assert pid not in overseer.inner_text("main")
    look(overseer, "row-calls-03-dashboard-late")
    # The bureau's 期限 list, filtered to 已逾期, lists it too.
    bureau = new_page()
    login(bureau, tenant=LAIZHOU, role="bureau_officer")
    bureau.goto("/deadlines?status=overdue")
    listed = bureau.locator("section:has(#dl-h) tbody tr").filter(has_text=name)
    late = listed.filter(has_text=label("time_limit", "acceptance_due"))
    assert late.count() == 1 and "已逾期" in late.inner_text()
