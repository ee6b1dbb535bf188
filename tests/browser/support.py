"""What the browser tests do again and again: log in as someone, look at a page (screenshot + axe)."""

from __future__ import annotations

import re
from typing import Any

from axe_playwright_python.sync_playwright import Axe

from libs.vocab import PROJECT_TABS
from tests.browser.conftest import ARTIFACTS

_AXE = Axe()
SERIOUS = ("serious", "critical")


def login(
    page: Any,
    *,
    tenant: str,
    role: str,
    unit: str | None = None,
    user: str | None = None,
    screenshot: str | None = None,
) -> None:
    """Log in through the console's OIDC code + PKCE flow, picking who we are on the dev issuer's page."""
    page.goto("/login")
    page.wait_for_url(re.compile(r"/authorize\?"))
    if page.locator("#tenant").input_value() != tenant:
        with page.expect_navigation():
            page.select_option("#tenant", tenant)  # reloads with that tenant's units
    page.select_option("#role", role)
    if unit:
        page.select_option("#unit", label=unit)
    if user:
        page.fill("#user", user)
    if screenshot:
        look(page, screenshot)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/authorize" not in url and "/callback" not in url)


def service_calls(response: Any) -> int:
    """The service calls the console made for a page (its Server-Timing header)."""
    timing = response.headers["server-timing"]
    return int(timing.split("calls=")[1].rstrip('"'))


def look(page: Any, name: str) -> None:
    """Save a full-page screenshot and fail on any serious or critical accessibility violation."""
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    results = _AXE.run(page)
    bad = [v for v in results.response["violations"] if v.get("impact") in SERIOUS]
    summary = [
        f"{v['id']} ({v['impact']}): {v['help']} @ {[n['target'] for n in v['nodes']][:3]}"
        for v in bad
    ]
    assert not bad, f"{name}: accessibility violations:\n" + "\n".join(summary)


def open_tab(page: Any, project_id: str, tab: str) -> None:
    """Open one tab of a project's page (概况, 资金, 验收, 档案 …: ``?tab=`` code, libs/vocab PROJECT_TABS)."""
    assert tab in PROJECT_TABS, f"no such tab: {tab}"
    page.goto(f"/projects/{project_id}?tab={tab}")
