"""The overseer's dashboard: its counties side by side, then one county in detail.

Every count and amount (by route, state and year, and how many approval-stage
limits were missed) comes from the registry's oversight summary, counted in SQL;
the lists below it come a page at a time: missed approval-stage limits from the
registry (``/v1/oversight/overdue``), deadlines past due from implementation on
from the acceptance service (swept or not), and a county's projects from the project list. No
list asks anything per row.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from libs.vocab import PROJECT_SORTS, LabelKind, format_wan, label
from services.portal.charts import bar_chart
from services.portal.client import ApiError
from services.portal.web import CurrentUser, User, render

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50


async def _approval_overdue(
    user: User, county: str | None, cursor: str, every: bool
) -> tuple[list[dict[str, Any]], str | None]:
    """The approval-stage limits missed (审批时限, 批复有效期), as the registry counts them."""
    rows, next_cursor = await user.api.listing(
        "registry", "/v1/oversight/overdue", every=every, county=county, cursor=cursor
    )
    return [
        {
            "project": {
                "id": o["project_id"],
                "name": o["name"],
                "tenant_id": o["tenant_id"],
                "state_label": label("state", o["state"]),
            },
            "limit": {"code": o["code"], "date": o["date"], "article": o["article"]},
            "label": label("time_limit", o["code"]),
        }
        for o in rows
    ], next_cursor


async def _acceptance_overdue(
    user: User, scope: list[str] | None, cursor: str, every: bool
) -> tuple[list[dict[str, Any]], str | None]:
    """The acceptance deadlines past their last day and not met, one call a page: ``late``
    asks for those the daily sweep has not marked overdue yet as well."""
    tenant = scope[0] if scope and len(scope) == 1 else None
    try:
        rows, next_cursor = await user.api.listing(
            "acceptance",
            "/v1/deadlines",
            every=every,
            late="true",
            tenant=tenant,
            cursor=cursor,
        )
    except ApiError as exc:
        if exc.status in (404, 405):
            return [], None
        raise
    return [
        {
            "project": {
                "id": d["project_id"],
                "name": d.get("project_name") or "（项目）",
                "tenant_id": d["tenant_id"],
                "state_label": "—",
            },
            "limit": {"code": d["code"], "date": d["due_on"], "article": d.get("article")},
            "label": label("time_limit", d["code"]),
        }
        for d in rows
        if scope is None or d["tenant_id"] in scope
    ], next_cursor


def _bars(
    buckets: dict[str, dict[str, int]], kind: LabelKind, key: str
) -> list[tuple[str, float, str]]:
    rows = sorted(buckets.items(), key=lambda kv: -kv[1][key])
    # A chart has room for the 万元 figure only; the tables beside it give the 元.
    return [
        (
            "未判定" if code == "undecided" else label(kind, code),
            b[key],
            f"{b['count']}个" if key == "count" else format_wan(b["amount"]),
        )
        for code, b in rows
        if b["count"]
    ]


async def overview(
    request: Request,
    user: User,
    county: str,
    *,
    cursors: dict[str, str] | None = None,
    sort: str = "-created",
    every: bool = False,
) -> dict[str, Any] | None:
    """What the dashboard shows (its tables; the page adds charts); None: not an overseen
    county. ``cursors`` picks each list's page (overdue, deadlines, projects); ``every``
    reads every page (the export)."""
    at = cursors or {}
    summary = await user.api.get("registry", "/v1/oversight/summary")
    rows = summary["jurisdictions"]
    for j in rows:
        request.app.state.tenant_names.setdefault(j["tenant"], j["name"])
    selected = next((j for j in rows if j["tenant"] == county), None) if county else None
    if county and selected is None:
        return None
    scope = selected["tenants"] if selected else None
    focus = selected or {
        "by_route": _merge(r["by_route"] for r in rows),
        "by_state": _merge(r["by_state"] for r in rows),
        "by_year": _merge(r["by_year"] for r in rows),
        "overdue": sum(r["overdue"] for r in rows),
        "projects": {
            "count": sum(r["projects"]["count"] for r in rows),
            "amount": sum(r["projects"]["amount"] for r in rows),
        },
    }
    overdue, overdue_next = await _approval_overdue(
        user, county or None, at.get("overdue", ""), every
    )
    late, late_next = await _acceptance_overdue(user, scope, at.get("deadlines", ""), every)
    projects: list[dict[str, Any]] = []
    projects_next = None
    if selected:
        if sort.removeprefix("-") not in PROJECT_SORTS:
            sort = "-created"
        projects, projects_next = await user.api.listing(
            "registry",
            "/v1/projects",
            tenant=county,
            sort=sort,
            cursor=at.get("projects", ""),
            every=every,
        )
    return {
        "summary": summary,
        "rows": rows,
        "selected": selected,
        "focus": focus,
        "years": {int(y): b for y, b in sorted(focus["by_year"].items())},
        "overdue": [*overdue, *late],
        "approval_overdue": overdue,
        "acceptance_overdue": late,
        "next": {"overdue": overdue_next, "deadlines": late_next, "projects": projects_next},
        "cursors": at,
        "sort": sort,
        "projects": projects,
    }


def not_overseen(request: Request, user: User, county: str) -> HTMLResponse:
    """404: ``county`` is not one the overseer oversees."""
    return render(
        request,
        "error.html",
        user,
        404,
        title="找不到",
        message=f"{request.app.state.tenant_names.get(county, '该辖区')}不在您监督的范围内。",
    )


@router.get("/dashboard", response_class=HTMLResponse)
async def dashboard(
    request: Request,
    user: CurrentUser,
    county: str = "",
    overdue_cursor: str = "",
    deadline_cursor: str = "",
    cursor: str = "",
    sort: str = "-created",
) -> HTMLResponse:
    user.require("overseer")
    at = {"overdue": overdue_cursor, "deadlines": deadline_cursor, "projects": cursor}
    view = await overview(request, user, county, cursors=at, sort=sort)
    if view is None:
        return not_overseen(request, user, county)
    rows, selected, focus, years = view["rows"], view["selected"], view["focus"], view["years"]
    charts = {
        "counties_amount": bar_chart(
            "各辖区项目总投资",
            [
                (r["name"], r["projects"]["amount"], format_wan(r["projects"]["amount"]))
                for r in rows
            ],
        ),
        "route_count": bar_chart("按管理方式的项目数", _bars(focus["by_route"], "route", "count")),
        "route_amount": bar_chart(
            "按管理方式的总投资", _bars(focus["by_route"], "route", "amount")
        ),
        "state_count": bar_chart("按状态的项目数", _bars(focus["by_state"], "state", "count")),
        "year_amount": bar_chart(
            "按年度的总投资",
            [(f"{y}年", b["amount"], format_wan(b["amount"])) for y, b in years.items()],
        ),
    }
    return render(
        request,
        "dashboard.html",
        user,
        title="监督看板" + (f"：{selected['name']}" if selected else ""),
        charts=charts,
        SORTABLE=PROJECT_SORTS,
        page_size=PAGE_SIZE,
        **view,
    )


def _merge(parts: Any) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = defaultdict(lambda: {"count": 0, "amount": 0})
    for part in parts:
        for code, b in part.items():
            out[code]["count"] += b["count"]
            out[code]["amount"] += b["amount"]
    return dict(out)
