"""`govproj dev seed`: the demo county gets a project in every lifecycle state, once.

The seed drives Yunan's demo projects through the real services with proper tokens;
the city's overseer then finds each state on the dashboard, and a second run adds
nothing.
"""

from __future__ import annotations

from typing import Any

import httpx

from govproj.dev.seed import SEED_TARGETS
from libs.common.testing.platform import RunningPlatform
from libs.vocab import label
from tests.support.portal import console_as
from tests.support.registry import PLAN_YEAR
from tests.support.seed import platform_seeder

YUNAN, YUNFU = "445322", "445300"
# A plan year no other test consolidates: the seed consolidates its county's plan.
SEED_YEAR = PLAN_YEAR + 70  # workflow_support counts its years up from PLAN_YEAR + 20


def _demo_projects(platform: RunningPlatform, registry: httpx.Client) -> dict[str, Any]:
    page = registry.get(
        "/v1/projects",
        headers=platform.headers(YUNAN, "bureau_officer"),
        params={"q": f"（{SEED_YEAR}年度）", "limit": 200},
    )
    assert page.status_code == 200, page.text
    return {p["name"]: p for p in page.json()["items"]}


def test_the_seed_fills_a_county_with_every_state_once_and_the_city_sees_them(
    platform: RunningPlatform, registry: httpx.Client
) -> None:
    report = platform_seeder(platform, SEED_YEAR).run((YUNAN,))
    assert report.notes == [], report.notes
    reached = set(report.states[YUNAN].values())
    # 已备案 stands in for 已立项 where the county's rules file the project.
    assert {("approved" if s == "filed" else s) for s in reached} == set(SEED_TARGETS)
    first = _demo_projects(platform, registry)
    assert len(first) == len(SEED_TARGETS)

    again = platform_seeder(platform, SEED_YEAR).run((YUNAN,))
    assert again.states == report.states and again.notes == []
    second = _demo_projects(platform, registry)
    assert {n: p["id"] for n, p in second.items()} == {n: p["id"] for n, p in first.items()}
    assert {n: p["version"] for n, p in second.items()} == {
        n: p["version"] for n, p in first.items()
    }

    with console_as(platform, YUNFU, "overseer", name="市局督查员") as console:
        page = console.get("/dashboard", params={"county": YUNAN}, follow_redirects=False)
    assert page.status_code == 200, page.text
    for state in reached:
        assert f"<td>{label('state', state)}</td>" in page.text, label("state", state)
