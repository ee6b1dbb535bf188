"""Long lists as people page through them: the annual plan's items (sorted, paged, excluded one
by one) and the overseer's dashboard, whose service calls do not grow with its rows."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from libs.common.deadlines import today_in_china
from libs.common.testing.platform import RunningPlatform
from tests.browser.support import login, look, service_calls

YUNAN, CHAOZHOU, RAOPING = "445322", "445100", "445122"
YEAR = today_in_china().year + 40  # a plan no other browser test touches
pytestmark = pytest.mark.timeout(900)


@pytest.fixture(scope="module")
def registry(browser_platform: RunningPlatform) -> Iterator[httpx.Client]:
    with browser_platform.client("registry") as client:
        yield client


def _unit(platform: RunningPlatform, registry: httpx.Client, tenant: str) -> str:
    r = registry.post(
        "/v1/units",
        headers=platform.headers(tenant, "bureau_officer"),
        json={"name": f"测试单位{uuid.uuid4().hex[:6]}"},
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def test_plan_items_page_sort_and_stay_excluded_across_pages(
    new_page: Any, browser_platform: RunningPlatform, registry: httpx.Client
) -> None:
    unit = _unit(browser_platform, registry, YUNAN)
    officer = browser_platform.headers(YUNAN, "unit_officer", unit=unit)
    for n in range(53):
        body = {
            "unit_id": unit,
            "name": f"分页需求{n:02d}",
            "project_class": "public",
            "amount": 10_000 * (n + 1),
        }
        r = registry.post(f"/v1/plans/{YEAR}/items", headers=officer, json=body)
        assert r.status_code == 201, r.text
    bureau = new_page()
    login(bureau, tenant=YUNAN, role="bureau_officer")
    first = bureau.goto(f"/plans/{YEAR}")
    assert "第 1 页，本页 50 项，还有更多" in bureau.inner_text("main table caption")
    assert "53 项" in bureau.inner_text("dl.facts")
    calls = service_calls(first)
    # Largest first: 预计总投资 twice (ascending, then descending).
    bureau.click("a.sort:has-text('预计总投资')")
    bureau.click("a.sort:has-text('预计总投资')")
    rows = bureau.locator("main table tbody tr")
    assert rows.first.inner_text().startswith("分页需求52")
    with bureau.expect_navigation() as nav:
        bureau.click("nav.pager a:has-text('下一页')")
    assert service_calls(nav.value) == calls  # the same calls for any page, none per row
    assert "第 2 页，本页 3 项" in bureau.inner_text("main table caption")
    assert rows.first.inner_text().startswith("分页需求02")
    look(bureau, "lists-01-plan-page-2")
    bureau.click("button[aria-label='排除“分页需求00”']")
    assert "该需求已排除" in bureau.inner_text("[role=status]")
    assert "第 2 页" in bureau.inner_text("main table caption")  # back where it was done
    assert "未列入" in bureau.locator("tr:has-text('分页需求00')").inner_text()
    bureau.goto(f"/plans/{YEAR}")
    assert "其中 1 项不纳入" in bureau.inner_text("dl.facts")
    bureau.click("button:has-text('汇总形成年度建设计划')")
    assert "已汇总形成年度建设计划" in bureau.inner_text("[role=status]")
    items = registry.get(
        f"/v1/plans/{YEAR}/items",
        headers=browser_platform.headers(YUNAN, "bureau_officer"),
        params={"state": "excluded"},
    ).json()
    assert [i["name"] for i in items] == ["分页需求00"]


def test_the_dashboard_asks_the_same_for_ten_projects_as_for_forty(
    new_page: Any, browser_platform: RunningPlatform, registry: httpx.Client
) -> None:
    unit = _unit(browser_platform, registry, RAOPING)
    officer = browser_platform.headers(RAOPING, "unit_officer", unit=unit)

    def add(count: int) -> None:
        for _ in range(count):
            body = {
                "name": f"饶平县项目{uuid.uuid4().hex[:6]}",
                "unit_id": unit,
                "year": YEAR,
                "facts": {
                    "project_class": "professional",
                    "service_types": ["software_development"],
                    "amount": 300_000,
                },
            }
            r = registry.post("/v1/projects", headers=officer, json=body)
            assert r.status_code == 201, r.text

    overseer = new_page()
    login(overseer, tenant=CHAOZHOU, role="overseer")
    add(10)
    few = service_calls(overseer.goto(f"/dashboard?county={RAOPING}"))
    add(30)
    many = overseer.goto(f"/dashboard?county={RAOPING}")
    assert service_calls(many) == few
    main = overseer.inner_text("main")
    assert "本页 40 个" in main
    city = service_calls(overseer.goto("/dashboard"))
    assert city <= few + 1  # the whole city: the summary and the overdue lists, no more
    look(overseer, "lists-02-dashboard-county")
