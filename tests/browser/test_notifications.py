"""消息中心 in a real Chromium: a returned project reaches the unit officer, not another county.

The bureau returns a Yunan project (over the API, as its queue would); the unit
officer sees the unread count in the header, opens the 消息中心, reads the
sentence naming the project and the reason, and opens the project from it.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from libs.common.testing.platform import RunningPlatform, eventually
from tests.browser.support import login, look
from tests.integration.workflow_support import (
    act,
    experts_agree,
    open_step,
    planned_project,
    submit,
    workflow_of,
)

YUNAN, CHAOAN = "445322", "445103"
REASON = "绩效目标不明确，请补充量化指标。"


@pytest.fixture(scope="module")
def clients(browser_platform: RunningPlatform) -> Any:
    with (
        browser_platform.client("registry") as registry,
        browser_platform.client("approval") as approval,
    ):
        yield registry, approval


def test_the_unit_officer_sees_the_unread_count_and_opens_the_returned_project(
    new_page: Any, browser_platform: RunningPlatform, clients: tuple[httpx.Client, httpx.Client]
) -> None:
    registry, approval = clients
    unit, pid = planned_project(browser_platform, registry, YUNAN)
    bureau = browser_platform.headers(YUNAN, "bureau_officer")
    unit_name = registry.get(f"/v1/units/{unit}", headers=bureau).json()["name"]
    project_name = registry.get(f"/v1/projects/{pid}", headers=bureau).json()["name"]
    submit(browser_platform, registry, YUNAN, pid)
    wf = workflow_of(browser_platform, approval, YUNAN, pid)
    step = open_step(wf)
    while step["role"] != "bureau_officer":  # the unit's own steps first (e.g. 内部论证)
        if step["code"] == "expert_review":
            experts_agree(browser_platform, approval, YUNAN, step)
        step = open_step(act(browser_platform, approval, YUNAN, step))
    act(browser_platform, approval, YUNAN, step, outcome="return", opinion=REASON)

    page = new_page()
    login(page, tenant=YUNAN, role="unit_officer", unit=unit_name)

    def returned() -> bool:
        page.goto("/notifications")
        return bool(page.locator(f"tr.unread:has-text('{REASON}')").count() == 1)

    eventually(returned, timeout=30)
    page.goto("/")
    page.wait_for_selector("#unread-count")
    unread = int(page.inner_text("#unread-count"))  # the return, and any step the unit had
    assert unread >= 1
    look(page, "notifications-01-header-count")
    page.click("#inbox-link")
    page.wait_for_url(re.compile(r"/notifications$"))
    assert f"未读 {unread} 条" in page.inner_text("main")
    row = page.locator(f"tr.unread:has-text('{REASON}')")
    assert row.count() == 1  # once, however often the event arrived
    text = row.inner_text()
    assert f"项目「{project_name}」" in text and "退回修改" in text and REASON in text
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", text)  # Beijing time to the minute
    assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-", page.inner_text("main"))
    look(page, "notifications-02-message-centre")
    row.locator("button:has-text('查看项目')").click()
    page.wait_for_url(re.compile(rf"/projects/{pid}$"))
    assert project_name in page.inner_text("h1")
    page.wait_for_selector("#inbox-link")
    # Read now: the header counts one fewer.
    left = page.locator("#unread-count")
    assert (int(left.inner_text()) if left.count() else 0) == unread - 1

    stranger = new_page()
    login(stranger, tenant=CHAOAN, role="bureau_officer")
    stranger.goto("/notifications")
    assert project_name not in stranger.inner_text("main")
