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
from services.portal.exports import Column, download, workbook
from services.portal.pages import budget as budget_page
from services.portal.pages.projects import READERS as PROJECT_READERS
from services.portal.web import CurrentUser, User

router = APIRouter(include_in_schema=False)

#: An export follows the list's pages up to this many rows (a jurisdiction's projects fit).
MAX_ROWS = 5000


def _name(prefix: str) -> str:
    return f"{prefix}_{today_in_china():%Y%m%d}.xlsx"


async def _all_projects(user: User, **query: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = ""
    while len(items) < MAX_ROWS:
        page = await user.api.get("registry", "/v1/projects", cursor=cursor, limit=100, **query)
        items.extend(page["items"])
        cursor = page.get("next_cursor") or ""
        if not cursor:
            break
    return items[:MAX_ROWS]


@router.get("/exports/projects.xlsx")
async def projects_xlsx(
    request: Request,
    user: CurrentUser,
    state: str = "",
    route: str = "",
    q: str = "",
    tenant: str = "",
    year: str = "",
) -> Response:
    """The project list (/projects) with its filters."""
    user.require(*PROJECT_READERS)
    items = await _all_projects(
        user,
        state=state,
        route=route,
        q=q,
        tenant=tenant,
        year=year if year.isdigit() else None,
    )
    names: dict[str, str] = request.app.state.tenant_names
    columns = [
        Column("项目名称", lambda p: p["name"]),
        Column("辖区", lambda p: names.get(p["tenant_id"], p["tenant_id"])),
        Column("年度", lambda p: p["year"]),
        Column("总投资", lambda p: p["amount"], amount=True),
        Column("管理方式", lambda p: label("route", p["route"]) if p.get("route") else "—"),
        Column("状态", lambda p: p["state_label"]),
    ]
    return download(_name("项目列表"), workbook("项目", columns, items))


def _last_review(b: dict[str, Any] | None) -> str:
    if not b:
        return "资金服务尚无记录"
    reviews = b.get("finance_reviews") or []
    if not reviews:
        return "未申请"
    outcome = reviews[-1].get("outcome")
    return label("opinion", outcome) if outcome else "审核中"


def _arranged(b: dict[str, Any] | None) -> int | None:
    if not b or not b.get("arrangements"):
        return None
    return sum(a["amount"] for a in b["arrangements"])


@router.get("/exports/budget.xlsx")
async def budget_xlsx(user: CurrentUser, state: str = "") -> Response:
    """The budget overview (/budget, 资金联动) with its state filter."""
    user.require(*budget_page.READERS)
    rows = await budget_page.budget_rows(user, state)
    columns = [
        Column("项目", lambda r: r["project"]["name"]),
        Column("状态", lambda r: r["project"]["state_label"]),
        Column("申报金额", lambda r: r["project"]["amount"], amount=True),
        Column("资金审核", lambda r: _last_review(r["budget"])),
        Column(
            "核定金额", lambda r: (r["budget"] or {}).get("finance_approved_amount"), amount=True
        ),
        Column("批复金额", lambda r: (r["budget"] or {}).get("approved_amount"), amount=True),
        Column("预算安排", lambda r: _arranged(r["budget"]), amount=True),
        Column("已支付", lambda r: (r["budget"] or {}).get("disbursed_total"), amount=True),
        Column("余额", lambda r: (r["budget"] or {}).get("balance"), amount=True),
    ]
    return download(_name("资金联动"), workbook("资金联动", columns, rows))
