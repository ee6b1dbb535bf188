"""The overseer's dashboard: its counties side by side, then one county in detail.

Counts and amounts by route and state come from the registry's oversight
summary; by year from the project list; overdue deadlines from the acceptance
service (implementation on), from each decision's approval-stage time limits (a
dated limit past today while the project has not reached the state that meets
it) and from the annual plan's due date.
"""

from __future__ import annotations

import asyncio
import re
from collections import defaultdict
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from libs.common.deadlines import today_in_china
from libs.vocab import LabelKind, format_wan, label
from services.portal.charts import bar_chart
from services.portal.client import ApiError
from services.portal.web import CurrentUser, User, render

router = APIRouter(include_in_schema=False)

# vocabulary.md lifecycle, in order; a limit is met once the project reaches its state.
ORDER = [
    "draft", "submitted", "under_review", "approved", "procuring", "implementing", "completed",
    "acceptance_review", "accepted", "in_operation", "evaluated", "decommissioned",
]  # fmt: skip
RANK = {s: i for i, s in enumerate(ORDER)} | {"filed": ORDER.index("approved")}
# The approval-stage limits and the state that meets each. Limits from implementation on
# (acceptance_due, self_evaluation_due, ...) are the acceptance service's deadlines.
MET_BY = {
    "approval_due": "approved",
    "approval_validity": "procuring",  # the approval must be used (procurement started) before it lapses
}
ENDED = ("rejected", "out_of_scope", "terminated", "decommissioned", "draft")
MAX_PROJECTS = 1000
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")  # a yearly cut-off (--MM-DD) is no one day


async def _projects(user: User, tenant: str | None) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while len(items) < MAX_PROJECTS:
        page = await user.api.get(
            "registry", "/v1/projects", tenant=tenant, cursor=cursor, limit=200
        )
        items.extend(page["items"])
        cursor = page.get("next_cursor")
        if not cursor:
            break
    return items


async def _overdue(user: User, projects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Dated time limits already past whose state the project has not reached."""
    today = today_in_china().isoformat()
    live = [p for p in projects if p["state"] not in ENDED and p.get("decision")][:200]
    sem = asyncio.Semaphore(8)

    async def one(p: dict[str, Any]) -> list[dict[str, Any]]:
        async with sem:
            try:
                d = await user.api.get("approval", f"/v1/projects/{p['id']}/decision")
            except ApiError:
                return []
        out = []
        for t in d.get("decision", {}).get("time_limits", []):
            met = MET_BY.get(t.get("code"))
            if not met or not _DATE.fullmatch(str(t.get("date") or "")) or t["date"] >= today:
                continue
            if RANK.get(p["state"], -1) >= RANK[met]:
                continue
            out.append({"project": p, "limit": t, "label": label("time_limit", t["code"])})
        return out

    found = await asyncio.gather(*(one(p) for p in live))
    return sorted((x for xs in found for x in xs), key=lambda x: x["limit"]["date"])


async def _acceptance_overdue(user: User, projects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The acceptance service's deadlines that are overdue, or open and already past."""
    today = today_in_china().isoformat()
    by_id = {p["id"]: p for p in projects}
    try:
        # Soonest last day first: open deadlines already past come at the head of theirs.
        rows = [
            *await user.api.get("acceptance", "/v1/deadlines", status="overdue", limit=200),
            *await user.api.get("acceptance", "/v1/deadlines", status="open", limit=200),
        ]
    except ApiError as exc:
        if exc.status in (404, 405):
            return []
        raise
    out = []
    for d in rows:
        late = d["status"] == "overdue" or (d["status"] == "open" and d["due_on"] < today)
        if late and d["project_id"] in by_id:
            limit = {"code": d["code"], "date": d["due_on"], "article": d.get("article")}
            out.append(
                {
                    "project": by_id[d["project_id"]],
                    "limit": limit,
                    "label": label("time_limit", d["code"]),
                }
            )
    return out


def _by_year(projects: list[dict[str, Any]]) -> dict[int, dict[str, int]]:
    years: dict[int, dict[str, int]] = defaultdict(lambda: {"count": 0, "amount": 0})
    for p in projects:
        years[p["year"]]["count"] += 1
        years[p["year"]]["amount"] += int(p["amount"])
    return dict(sorted(years.items()))


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


async def overview(request: Request, user: User, county: str) -> dict[str, Any] | None:
    """What the dashboard shows (its tables; the page adds charts); None: not an overseen county."""
    summary = await user.api.get("registry", "/v1/oversight/summary")
    rows = summary["jurisdictions"]
    for j in rows:
        request.app.state.tenant_names.setdefault(j["tenant"], j["name"])
    selected = next((j for j in rows if j["tenant"] == county), None) if county else None
    if county and selected is None:
        return None
    scope = selected["tenants"] if selected else None
    projects = await _projects(user, None)
    if scope is not None:
        projects = [p for p in projects if p["tenant_id"] in scope]
    overdue = sorted(
        [*await _overdue(user, projects), *await _acceptance_overdue(user, projects)],
        key=lambda x: str(x["limit"]["date"]),
    )
    years = _by_year(projects)
    focus = selected or {
        "by_route": _merge(r["by_route"] for r in rows),
        "by_state": _merge(r["by_state"] for r in rows),
        "projects": {
            "count": sum(r["projects"]["count"] for r in rows),
            "amount": sum(r["projects"]["amount"] for r in rows),
        },
    }
    return {
        "summary": summary,
        "rows": rows,
        "selected": selected,
        "focus": focus,
        "years": years,
        "overdue": overdue,
        "projects": projects if selected else [],
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
async def dashboard(request: Request, user: CurrentUser, county: str = "") -> HTMLResponse:
    user.require("overseer")
    view = await overview(request, user, county)
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
        **view,
    )


def _merge(parts: Any) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = defaultdict(lambda: {"count": 0, "amount": 0})
    for part in parts:
        for code, b in part.items():
            out[code]["count"] += b["count"]
            out[code]["amount"] += b["amount"]
    return dict(out)
