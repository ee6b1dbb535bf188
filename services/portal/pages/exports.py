"""“导出 Excel” of the console's lists: the rows the page shows, with its filters (issue 18).

Each export reads the services exactly as its page does (same query, same
filters), so the workbook's rows are the table's rows; the layout of the sheet
is :mod:`services.portal.exports`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from libs.common.deadlines import today_in_china
from libs.vocab import label
from services.portal.exports import Column, Sheet, download, workbook
from services.portal.pages import budget as budget_page
from services.portal.pages import dashboard as dashboard_page
from services.portal.pages import plans as plans_page
from services.portal.pages.projects import READERS as PROJECT_READERS
from services.portal.pages.projects import Filters as ProjectFilters
from services.portal.web import CurrentUser, User

router = APIRouter(include_in_schema=False)

#: An export follows the list's pages up to this many rows (a jurisdiction's projects fit).
MAX_ROWS = 5000


def _name(prefix: str) -> str:
    return f"{prefix}_{today_in_china():%Y%m%d}.xlsx"


async def _all_projects(user: User, **query: Any) -> list[dict[str, Any]]:
    items, _ = await user.api.listing(
        "registry", "/v1/projects", every=True, max_rows=MAX_ROWS, **query
    )
    return items[:MAX_ROWS]


@router.get("/exports/projects.xlsx")
async def projects_xlsx(request: Request, user: CurrentUser, filters: ProjectFilters) -> Response:
    """The project list (/projects) with its filters and its order."""
    user.require(*PROJECT_READERS)
    items = await _all_projects(user, **filters.query())
    names: dict[str, str] = request.app.state.tenant_names
    columns = [
        Column("项目名称", lambda p: p["name"]),
        Column("辖区", lambda p: names.get(p["tenant_id"], p["tenant_id"])),
        Column("年度", lambda p: p["year"]),
        Column("总投资", lambda p: p["amount"], amount=True),
        Column("管理方式", lambda p: label("route", p["route"]) if p.get("route") else "—"),
        Column("状态", lambda p: p["state_label"]),
    ]
    return download(_name("项目列表"), workbook(Sheet("项目", columns, items)))


def _review(r: dict[str, Any]) -> str:
    """The finance review column as the page shows it."""
    if r.get("finance_review_outcome"):
        return label("opinion", r["finance_review_outcome"])
    if r.get("finance_review_status"):
        return label("finance_review_state", r["finance_review_status"])
    return "未申请"


@router.get("/exports/budget.xlsx")
async def budget_xlsx(user: CurrentUser, status: str = "") -> Response:
    """The budget overview (/budget, 资金联动) with its status filter, every page of it."""
    user.require(*budget_page.READERS)
    rows = await budget_page.budget_rows(user, status)
    columns = [
        Column("项目", lambda r: r.get("name") or "（项目名称待同步）"),
        Column("状态", lambda r: label("budget_status", r["status"])),
        Column("申报金额", lambda r: r.get("amount"), amount=True),
        Column("资金审核", _review),
        Column("核定金额", lambda r: r.get("finance_approved_amount"), amount=True),
        Column("批复金额", lambda r: r.get("approved_amount"), amount=True),
        Column("预算安排", lambda r: r.get("arranged_total") or None, amount=True),
        Column("已支付", lambda r: r.get("disbursed_total"), amount=True),
        Column("余额", lambda r: r.get("balance"), amount=True),
    ]
    return download(_name("资金联动"), workbook(Sheet("资金联动", columns, rows)))


@router.get("/exports/plans/{year}.xlsx", response_model=None)
async def plan_xlsx(request: Request, user: CurrentUser, year: int) -> Response:
    """The annual plan's demand items (/plans/{year})."""
    user.require(*plans_page.READERS)
    if (refused := plans_page.bad_year(request, user, year)) is not None:
        return refused
    _, units = await plans_page.plan_and_units(user, year)
    items, _ = await plans_page.item_page(user, year, sort="submitted", every=True)
    names = {u["id"]: u["name"] for u in units}
    columns = [
        Column("需求", lambda i: i["name"]),
        Column("建设单位", lambda i: names.get(i["unit_id"], i["unit_id"])),
        Column("类别", lambda i: label("project_class", i["project_class"])),
        Column("预计总投资", lambda i: i["amount"], amount=True),
        Column("状态", lambda i: label("plan_item_state", i["state"])),
    ]
    sheet = Sheet(f"{year}年度需求计划", columns, items)
    return download(_name(f"{year}年度需求计划"), workbook(sheet))


def _overdue_sheet(names: dict[str, str], overdue: list[dict[str, Any]]) -> Sheet:
    columns = [
        Column("项目", lambda o: o["project"]["name"]),
        Column("辖区", lambda o: names.get(o["project"]["tenant_id"], o["project"]["tenant_id"])),
        Column("期限", lambda o: o["label"]),
        Column("应于", lambda o: o["limit"]["date"]),
        Column("当前状态", lambda o: o["project"]["state_label"]),
        Column("依据", lambda o: o["limit"].get("article") or ""),
    ]
    return Sheet("逾期事项", columns, overdue)


def _count_sheet(title: str, head: str, buckets: dict[str, dict[str, int]], kind: Any) -> Sheet:
    columns = [
        Column(head, lambda kv: "未判定" if kv[0] == "undecided" else label(kind, kv[0])),
        Column("项目数", lambda kv: kv[1]["count"]),
        Column("总投资", lambda kv: kv[1]["amount"], amount=True),
    ]
    return Sheet(title, columns, list(buckets.items()))


async def _overview(request: Request, user: User, county: str) -> dict[str, Any] | None:
    user.require("overseer")
    return await dashboard_page.overview(request, user, county, every=True)


@router.get("/exports/dashboard.xlsx", response_model=None)
async def dashboard_xlsx(request: Request, user: CurrentUser, county: str = "") -> Response:
    """The oversight dashboard's tables (/dashboard[?county=]), one sheet each."""
    view = await _overview(request, user, county)
    if view is None:
        return dashboard_page.not_overseen(request, user, county)
    names: dict[str, str] = request.app.state.tenant_names
    sheets = []
    if not view["selected"]:
        jurisdictions = [
            Column("辖区", lambda r: r["name"]),
            Column("项目数", lambda r: r["projects"]["count"]),
            Column("总投资", lambda r: r["projects"]["amount"], amount=True),
            Column("审核中", lambda r: (r["by_state"].get("under_review") or {}).get("count", 0)),
            Column("运行系统", lambda r: r["systems"]["in_operation"]),
            Column("年度计划", lambda r: label("plan_state", r["next_plan_state"])),
        ]
        sheets.append(Sheet("各辖区", jurisdictions, view["rows"]))
    sheets += [
        _count_sheet("按管理方式", "管理方式", view["focus"]["by_route"], "route"),
        _count_sheet("按状态", "状态", view["focus"]["by_state"], "state"),
        Sheet(
            "按年度",
            [
                Column("年度", lambda kv: kv[0]),
                Column("项目数", lambda kv: kv[1]["count"]),
                Column("总投资", lambda kv: kv[1]["amount"], amount=True),
            ],
            list(view["years"].items()),
        ),
        _overdue_sheet(names, view["overdue"]),
    ]
    if view["selected"]:
        project_columns = [
            Column("项目名称", lambda p: p["name"]),
            Column("年度", lambda p: p["year"]),
            Column("总投资", lambda p: p["amount"], amount=True),
            Column("管理方式", lambda p: label("route", p["route"]) if p.get("route") else "—"),
            Column("状态", lambda p: p["state_label"]),
        ]
        sheets.append(Sheet("项目", project_columns, view["projects"]))
    return download(_name("监督看板"), workbook(*sheets))


@router.get("/exports/deadlines.xlsx", response_model=None)
async def deadlines_xlsx(request: Request, user: CurrentUser, county: str = "") -> Response:
    """The dashboard's overdue deadlines (逾期事项) alone."""
    view = await _overview(request, user, county)
    if view is None:
        return dashboard_page.not_overseen(request, user, county)
    sheet = _overdue_sheet(request.app.state.tenant_names, view["overdue"])
    return download(_name("逾期事项"), workbook(sheet))
