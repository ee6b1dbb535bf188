"""The annual plan's items as the bureau pages through them: orders, pages, exclusion per item."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.models import DemandItem
from services.registry.tests.support import (
    PLAN_YEAR,
    YUNAN,
    Caller,
    make_unit,
    outbox_types,
)

ITEMS = f"/v1/plans/{PLAN_YEAR}/items"


async def seed(api: httpx.AsyncClient, caller: Caller, db: AsyncSession, n: int) -> list[str]:
    """``n`` demand items of one unit, each a different amount and name; their ids."""
    unit = await make_unit(db, YUNAN)
    officer = caller.headers(YUNAN, "unit_officer", unit=unit.id)
    ids = []
    for i in range(n):
        body = {
            "unit_id": str(unit.id),
            "name": f"需求{(i * 3) % n:02d}",  # names in another order than amounts (n ≠ 3k)
            "project_class": "public",
            "amount": 100_000 * (i + 1),
        }
        r = await api.post(ITEMS, headers=officer, json=body)
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    return ids


async def every_page(
    api: httpx.AsyncClient, headers: dict[str, str], sort: str, limit: int
) -> list[list[dict[str, Any]]]:
    pages, cursor = [], None
    while True:
        params: dict[str, Any] = {"sort": sort, "limit": limit}
        if cursor:
            params["cursor"] = cursor
        r = await api.get(ITEMS, headers=headers, params=params)
        assert r.status_code == 200, r.text
        pages.append(r.json())
        cursor = r.headers.get("X-Next-Cursor")
        if not cursor:
            return pages


async def test_plan_items_come_in_pages_in_the_order_asked(
    api: httpx.AsyncClient, caller: Caller, tree_db: AsyncSession
) -> None:
    await seed(api, caller, tree_db, 7)
    bureau = caller.headers(YUNAN, "bureau_officer")
    expected = {
        "amount": [100_000 * (i + 1) for i in range(7)],
        "-amount": [100_000 * (7 - i) for i in range(7)],
    }
    for sort, amounts in expected.items():
        pages = await every_page(api, bureau, sort, limit=3)
        assert [len(p) for p in pages] == [3, 3, 1]
        assert [i["amount"] for p in pages for i in p] == amounts
    # 申报日期 (the default order): one day for all, each item once across the pages.
    for sort in ("submitted", "-submitted"):
        pages = await every_page(api, bureau, sort, limit=3)
        assert len({i["id"] for p in pages for i in p}) == 7 and len(pages) == 3
    names = [i["name"] for p in await every_page(api, bureau, "name", limit=3) for i in p]
    assert names == sorted(names) and len(set(names)) == 7
    # The plan itself says how many and how much, without listing them.
    plan = (await api.get(f"/v1/plans/{PLAN_YEAR}", headers=bureau)).json()
    assert (plan["item_count"], plan["excluded_count"], plan["total_amount"]) == (7, 0, 2_800_000)
    assert "items" not in plan


async def test_an_unknown_order_or_a_cursor_of_another_order_is_refused(
    api: httpx.AsyncClient, caller: Caller, tree_db: AsyncSession
) -> None:
    await seed(api, caller, tree_db, 3)
    bureau = caller.headers(YUNAN, "bureau_officer")
    bad = await api.get(ITEMS, headers=bureau, params={"sort": "unit"})
    assert bad.status_code == 422 and bad.json()["title"] == "输入数据不合法", bad.text
    assert bad.json()["field"] == "sort"
    first = await api.get(ITEMS, headers=bureau, params={"sort": "amount", "limit": 1})
    other = await api.get(
        ITEMS,
        headers=bureau,
        params={"sort": "name", "cursor": first.headers["X-Next-Cursor"]},
    )
    assert other.status_code == 422 and "另一种排序" in other.json()["detail"]


async def test_an_item_excluded_on_a_later_page_stays_out_of_the_consolidated_plan(
    api: httpx.AsyncClient, caller: Caller, tree_db: AsyncSession
) -> None:
    ids = await seed(api, caller, tree_db, 5)
    bureau = caller.headers(YUNAN, "bureau_officer")
    pages = await every_page(api, bureau, "amount", limit=2)
    on_last_page, on_first_page = pages[-1][0]["id"], pages[0][0]["id"]
    for item_id in (on_last_page, on_first_page):
        r = await api.post(f"{ITEMS}/{item_id}/exclude", headers=bureau)
        assert r.status_code == 200 and r.json()["state"] == "excluded", r.text
    restored = await api.post(f"{ITEMS}/{on_first_page}/restore", headers=bureau)
    assert restored.json()["state"] == "submitted"
    # Paging again in another order shows the exclusion where the item now falls.
    shown = {i["id"]: i["state"] for p in await every_page(api, bureau, "-amount", 2) for i in p}
    assert shown[on_last_page] == "excluded" and shown[on_first_page] == "submitted"
    plan = (await api.get(f"/v1/plans/{PLAN_YEAR}", headers=bureau)).json()
    assert (plan["excluded_count"], plan["total_amount"]) == (1, 1_000_000)

    done = await api.post(f"/v1/plans/{PLAN_YEAR}/consolidate", headers=bureau)
    assert done.status_code == 200, done.text
    states = dict(
        (await tree_db.execute(sa.select(DemandItem.id, DemandItem.state))).tuples().all()
    )
    assert states == {uuid.UUID(i): ("excluded" if i == on_last_page else "included") for i in ids}
    assert (await outbox_types(tree_db, YUNAN))[-4:] == [
        "govproj.registry.plan.demand_excluded.v1",
        "govproj.registry.plan.demand_excluded.v1",
        "govproj.registry.plan.demand_restored.v1",
        "govproj.registry.plan.consolidated.v1",
    ]
    late = await api.post(f"{ITEMS}/{on_first_page}/exclude", headers=bureau)
    assert late.status_code == 409 and late.json()["title"] == "年度计划已汇总"


async def test_only_the_bureau_excludes_and_only_its_own_plans_items(
    api: httpx.AsyncClient, caller: Caller, tree_db: AsyncSession
) -> None:
    (item_id,) = await seed(api, caller, tree_db, 1)
    unit_officer = caller.headers(YUNAN, "unit_officer", unit=uuid.uuid4())
    refused = await api.post(f"{ITEMS}/{item_id}/exclude", headers=unit_officer)
    assert refused.status_code == 403, refused.text
    sibling = caller.headers("445103", "bureau_officer")
    unseen = await api.post(f"{ITEMS}/{item_id}/exclude", headers=sibling)
    assert unseen.status_code == 404, unseen.text
    state = await tree_db.scalar(sa.select(DemandItem.state).where(DemandItem.id == item_id))
    assert state == "submitted"
