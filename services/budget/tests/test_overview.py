"""Finance's overview (GET /v1/budgets) and the 预算安排 the finance office records by hand."""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import unquote

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.events import make_event
from libs.common.testing.database import in_tenant
from services.budget import replica
from services.budget.tests.client import Api
from services.budget.tests.factories import (
    CITY,
    SIBLING,
    YUNAN,
    add_project,
    events_of,
    person,
)

FINANCE = person(YUNAN, "finance_officer")
NOTICE = {
    "notice_no": "郁财预〔2026〕12号",
    "year": 2026,
    "amount": 300_000,
    "notified_on": "2026-03-02",
}


async def _every_page(api: Api, who: Any, limit: int) -> tuple[list[dict[str, Any]], int]:
    """All rows the caller sees, page by page; and how many requests that took."""
    rows: list[dict[str, Any]] = []
    cursor: str | None = None
    calls = 0
    while True:
        params: dict[str, Any] = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        r = await api.get("/v1/budgets", who=who, params=params)
        calls += 1
        assert r.status_code == 200, r.text
        page = r.json()
        assert len(page["items"]) <= limit
        rows += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return rows, calls


async def test_the_overview_pages_through_every_project_once_and_never_shows_another_county(
    api: Api, db: AsyncSession
) -> None:
    mine = [await add_project(db, amount=100_000 * (i + 1)) for i in range(5)]
    other = await add_project(db, tenant=SIBLING)
    await add_project(db, tenant=YUNAN)  # back in Yunan's context for the next rows
    paid = mine[0]
    r = await api.post(
        f"/v1/projects/{paid.id}/lines", who=person(YUNAN, "bureau_officer"),
        json={"kind": "construction", "amount": 80_000},
    )  # fmt: skip
    line = r.json()["id"]
    r = await api.post(
        f"/v1/projects/{paid.id}/disbursements", who=person(YUNAN, "bureau_officer"),
        json={"line_id": line, "amount": 30_000, "paid_on": "2026-04-01", "voucher_no": "ZF-1"},
    )  # fmt: skip
    assert r.status_code == 201, r.text

    rows, calls = await _every_page(api, FINANCE, limit=2)
    ids = [row["project_id"] for row in rows]
    assert len(ids) == len(set(ids))  # no row twice across pages
    assert {str(p.id) for p in mine} <= set(ids) and calls >= 3
    assert str(other.id) not in ids  # 新兴's project: never in 郁南's overview
    row = next(x for x in rows if x["project_id"] == str(paid.id))
    assert (row["disbursed_total"], row["balance"], row["tenant"]) == (30_000, 70_000, YUNAN)

    sibling_rows, _ = await _every_page(api, person(SIBLING, "finance_officer"), limit=50)
    assert str(other.id) in {x["project_id"] for x in sibling_rows}
    assert not {str(p.id) for p in mine} & {x["project_id"] for x in sibling_rows}
    # The city oversees both counties and sees both.
    city_rows, _ = await _every_page(api, person(CITY, "overseer"), limit=50)
    assert {str(other.id), str(paid.id)} <= {x["project_id"] for x in city_rows}
    bad = await api.get("/v1/budgets", who=FINANCE, params={"cursor": "not-a-cursor"})
    assert bad.status_code == 422 and bad.json()["title"]


async def test_the_finance_office_records_an_arrangement_once_and_only_it_may(
    api: Api, db: AsyncSession
) -> None:
    unit = uuid.uuid4()
    project = await add_project(db, unit=unit, amount=800_000, approved_amount=750_000)
    path = f"/v1/projects/{project.id}/arrangements"
    refused = await api.post(path, who=person(YUNAN, unit=unit), json=NOTICE)
    assert refused.status_code == 403 and "财政" in refused.json()["detail"]
    city = await api.post(path, who=person(CITY, "finance_officer"), json=NOTICE)
    assert city.status_code == 404  # the city's finance office does not see the county's project
    r = await api.post(path, who=FINANCE, json=NOTICE)
    assert r.status_code == 201, r.text
    assert r.json()["notified_by"] == "测试用户"
    again = await api.post(path, who=FINANCE, json={**NOTICE, "amount": 1})
    assert again.status_code == 409 and again.json()["title"] == "该文号已为本项目登记预算安排"
    budget = (await api.get(f"/v1/projects/{project.id}/budget", who=FINANCE)).json()
    assert [(a["notice_no"], a["amount"]) for a in budget["arrangements"]] == [
        ("郁财预〔2026〕12号", 300_000)
    ]
    assert budget["arranged_total"] == 300_000
    (event,) = [
        e
        for e in await events_of(db, "govproj.budget.arrangement.recorded.v1")
        if e["data"]["items"][0]["project_id"] == str(project.id)
    ]
    assert event["data"]["notice_no"] == NOTICE["notice_no"]
    actor = json.loads(unquote(event["headers"]["ce-actor"]))
    assert actor["id"] == "finance_officer@445322"  # the finance officer who typed it in
    closed = await add_project(db, status="rejected")
    r = await api.post(f"/v1/projects/{closed.id}/arrangements", who=FINANCE, json=NOTICE)
    assert r.status_code == 409 and r.json()["title"] == "项目当前状态不能安排预算"


async def test_payments_no_report_covers_are_outstanding_only_where_the_pack_asks_for_reports(
    api: Api, db: AsyncSession
) -> None:
    # 坡头 第十五条: 资金使用情况报区财政局 (the decision's fund_usage_report requirement).
    asks = {"requirements": [{"code": "fund_usage_report", "article": "第十五条"}]}
    bureau = person(YUNAN, "bureau_officer")
    for decision, due in ((asks, True), ({}, False)):
        project = await add_project(db, amount=100_000, approved_amount=100_000, decision=decision)
        path = f"/v1/projects/{project.id}"
        line = (
            await api.post(
                f"{path}/lines", who=bureau, json={"kind": "construction", "amount": 100_000}
            )
        ).json()["id"]
        paid = {"line_id": line, "amount": 40_000, "paid_on": "2026-05-10"}
        voucher = f"ZF-{project.id.hex[:8]}"
        r = await api.post(
            f"{path}/disbursements", who=bureau, json={**paid, "voucher_no": voucher}
        )
        assert r.status_code == 201, r.text
        budget = (await api.get(f"{path}/budget", who=FINANCE)).json()
        line_row = budget["lines"][0]
        assert (line_row["disbursed_total"], line_row["balance"]) == (40_000, 60_000)
        if not due:  # a pack without the rule: no reminder is invented
            assert budget["usage_report_due"] is None
            continue
        assert budget["usage_report_due"] == {
            "amount": 40_000,
            "since": None,
            "article": "第十五条",
        }
        report = {"period_start": "2026-04-01", "period_end": "2026-06-30"}
        assert (await api.post(f"{path}/usage-reports", who=bureau, json=report)).status_code == 201
        budget = (await api.get(f"{path}/budget", who=FINANCE)).json()
        assert budget["usage_report_due"] is None
        assert [r["period_end"] for r in budget["usage_reports"]] == ["2026-06-30"]


async def test_the_overview_names_each_project_as_the_registry_submitted_it(
    api: Api, db: AsyncSession
) -> None:
    await in_tenant(db, YUNAN)
    pid = uuid.uuid4()
    submitted = make_event(
        tenant=YUNAN, service="registry", aggregate="project", event="submitted",
        data={"project_id": str(pid), "unit_id": str(uuid.uuid4()), "name": "郁南县智慧水务平台",
              "submission": 1, "facts": {"amount": 600_000}},
        actor={"type": "user", "id": "u@445322", "tenant": YUNAN, "roles": ["unit_officer"]},
    )  # fmt: skip
    await replica.on_submitted(db, submitted)
    rows, _ = await _every_page(api, FINANCE, limit=200)
    (row,) = [r for r in rows if r["project_id"] == str(pid)]
    assert (row["name"], row["amount"], row["status"]) == (
        "郁南县智慧水务平台",
        600_000,
        "submitted",
    )
