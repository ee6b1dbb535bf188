"""Deadlines (期限), extensions (延期申请) and the 双随机 draw: the acceptance service's time rules.

莱政办发〔2022〕6号 第二十三条第二款: a unit that cannot apply for acceptance on
time asks the 项目审批部门 for an extension; 第三十四条: post-evaluations are
drawn 双随机 (a committed seed, revealed after the draw, so anyone can re-check it).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from libs.common.deadlines import today_in_china
from services.portal.pages.forms import (
    NOTHING,
    Invalid,
    Shown,
    choice,
    date,
    form_key,
    post_redirect_get,
    redraw,
    text,
)
from services.portal.pages.project_actions import on_project_page
from services.portal.pages.projects import project_page
from services.portal.paging import FIRST_PAGE, PagedList, PageQuery, Paging
from services.portal.web import CurrentUser, User, render

router = APIRouter(include_in_schema=False)

DEADLINE_READERS = ("bureau_officer", "overseer", "auditor", "unit_officer")
NOTICES = {
    "decided": "延期申请已审批。",
    "committed": "已承诺本年度抽取：种子的摘要已公布，抽取后公开种子。",
    "drawn": "已完成抽取，种子已公开，可按种子复核。",
}


@router.post("/projects/{project_id}/deadlines/{code}/extensions", response_class=HTMLResponse)
async def request_extension(
    request: Request, user: CurrentUser, project_id: str, code: str
) -> Response:
    """The unit asks to move a deadline (acceptance POST …/deadlines/{code}/extensions)."""
    user.require("unit_officer", "bureau_officer")
    form = await request.form()

    async def act() -> None:
        body = {
            "until": date(form, "until", "申请延期至"),
            "reason": text(form, "reason", "不能按期验收的原因"),
        }
        await user.api.post(
            "acceptance",
            f"/v1/projects/{project_id}/deadlines/{code}/extensions",
            body,
            key=form_key(form),
        )

    return await on_project_page(request, user, project_id, form, act, notice="extension")


def _return_to(raw: object) -> str:
    # Only our own two pages: a form must not send the browser elsewhere.
    value = str(raw or "")
    if value == "/deadlines" or (value.startswith("/projects/") and "//" not in value):
        return value
    return "/deadlines"


@router.post("/extensions/{extension_id}/decision", response_class=HTMLResponse)
async def decide_extension(request: Request, user: CurrentUser, extension_id: str) -> Response:
    """项目审批部门 grants or refuses (acceptance POST /v1/extensions/{id}/decision)."""
    user.require("bureau_officer")
    form = await request.form()
    back = _return_to(form.get("return_to"))

    async def act() -> None:
        body = {
            "outcome": choice(form, "outcome", "审批结论（同意或不同意延期）", ("grant", "refuse")),
            "opinion": text(form, "opinion", "审批意见"),
        }
        await user.api.post(
            "acceptance",
            f"/v1/extensions/{extension_id}/decision",
            body,
            key=form_key(form),
        )

    async def again(message: str, status: int) -> Response:
        if back.startswith("/projects/"):
            pid = back.removeprefix("/projects/")
            return await project_page(request, user, pid, error=message, status=status)
        return await deadlines_page(request, user, Shown(message, status=status))

    sep = "&" if "?" in back else "?"
    notice = "extension_decided" if back.startswith("/projects/") else "decided"
    return await post_redirect_get(act, then=f"{back}{sep}notice={notice}", again=again)


DEADLINES_PAGE_SIZE = 50
DEADLINES = PagedList(
    "acceptance", "/v1/deadlines", ("due",), default="due", size=DEADLINES_PAGE_SIZE
)


async def deadlines_page(
    request: Request,
    user: User,
    shown: Shown = NOTHING,
    *,
    status_filter: str = "",
    at: PageQuery = FIRST_PAGE,
) -> HTMLResponse:
    user.require(*DEADLINE_READERS)
    # 已逾期 as the rows show it: past the last day and not met, whether or not the sweep
    # has marked it yet (acceptance ``late``).
    status = {"late": "true"} if status_filter == "overdue" else {"status": status_filter}
    rows, paged = await DEADLINES.fetch(user.api, at, **status)
    # One call for every request awaiting a decision, not one per project on the page.
    pending = await user.api.get("acceptance", "/v1/extensions")
    return render(
        request,
        "deadlines/list.html",
        user,
        shown.status,
        title="期限与延期",
        deadlines=rows,
        pending=pending,
        status_filter=status_filter,
        **paged,
        today=today_in_china().isoformat(),
        **shown.context(),
    )


@router.get("/deadlines", response_class=HTMLResponse)
async def deadlines(
    request: Request,
    user: CurrentUser,
    at: Paging,
    status: str = "",
    notice: str = "",
    reminders: int | None = None,
    overdue: int | None = None,
) -> HTMLResponse:
    if status not in ("", "open", "overdue", "met"):
        status = ""
    said = NOTICES.get(notice)
    if notice == "swept":
        # The sweep's answer, carried over the redirect (POST-redirect-GET).
        said = f"已检查本辖区期限：发出到期提醒 {reminders or 0} 条，逾期通知 {overdue or 0} 条（每个期限各只发一次）。"
    return await deadlines_page(request, user, Shown(notice=said), status_filter=status, at=at)


@router.post("/deadlines/sweep", response_class=HTMLResponse)
async def sweep(request: Request, user: CurrentUser) -> Response:
    """Check the jurisdiction's deadlines now (acceptance POST /v1/deadlines/sweep)."""
    user.require("bureau_officer")
    form = await request.form()
    result: dict[str, Any] = {}

    async def act() -> None:
        answer = await user.api.post("acceptance", "/v1/deadlines/sweep", None, key=form_key(form))
        result.update(answer or {})

    again = redraw(deadlines_page, request, user)
    response = await post_redirect_get(act, then="/deadlines", again=again)
    if response.status_code == 303:
        sent = (result.get("sent") or {}).get(user.tenant) or {}
        query = urlencode(
            {
                "notice": "swept",
                "reminders": sent.get("reminder", 0),
                "overdue": sent.get("overdue", 0),
            }
        )
        response.headers["location"] = f"/deadlines?{query}"
    return response


# ---- 双随机 draws (第三十四条) -------------------------------------------------


async def draws_page(
    request: Request,
    user: User,
    shown: Shown = NOTHING,
) -> HTMLResponse:
    user.require("bureau_officer", "overseer", "auditor")
    draws: list[dict[str, Any]] = await user.api.get("acceptance", "/v1/draws")
    register: list[dict[str, Any]] = await user.api.get("acceptance", "/v1/draw-register")
    # The list names each draw's projects and carries its re-check: one call for the page.
    names = {e["project_id"]: e.get("name") for e in register}
    for d in draws:
        names.update(d.get("project_names") or {})
    return render(
        request,
        "deadlines/draws.html",
        user,
        shown.status,
        title="双随机抽取",
        draws=sorted(draws, key=lambda d: -d["year"]),
        register=register,
        names=names,
        next_year=_next_free_year(draws, user.tenant),
        **shown.context(),
    )


def _next_free_year(draws: list[dict[str, Any]], tenant: str) -> int:
    # One draw per jurisdiction and year: offer the first year from this one without a draw.
    taken = {d["year"] for d in draws if d["tenant_id"] == tenant}
    year = today_in_china().year
    while year in taken:
        year += 1
    return year


@router.get("/draws", response_class=HTMLResponse)
async def draws(request: Request, user: CurrentUser, notice: str = "") -> HTMLResponse:
    return await draws_page(request, user, Shown(notice=NOTICES.get(notice)))


def _count(form: Any, field: str, label: str, *, minimum: int) -> int:
    raw = str(form.get(field) or "").strip()
    if not raw.isdigit() or int(raw) < minimum:
        raise Invalid(f"{label}须为不小于{minimum}的整数")
    return int(raw)


@router.post("/draws", response_class=HTMLResponse)
async def commit_draw(request: Request, user: CurrentUser) -> Response:
    """承诺本年度抽取 (acceptance POST /v1/draws): the seed is the service's, never typed here."""
    user.require("bureau_officer")
    form = await request.form()

    async def act() -> None:
        pool = [
            line.strip()
            for line in str(form.get("evaluator_pool") or "").splitlines()
            if line.strip()
        ]
        body = {
            "year": _count(form, "year", "评估年度", minimum=2000),
            "count": _count(form, "count", "抽取项目数", minimum=1),
            "evaluator_pool": pool,
            "evaluator_count": _count(form, "evaluator_count", "抽取评估人员数", minimum=0),
        }
        await user.api.post("acceptance", "/v1/draws", body, key=form_key(form))

    again = redraw(draws_page, request, user, form=form)
    return await post_redirect_get(act, then="/draws?notice=committed", again=again)


@router.post("/draws/{draw_id}/execution", response_class=HTMLResponse)
async def make_draw(request: Request, user: CurrentUser, draw_id: str) -> Response:
    """进行抽取 (acceptance POST /v1/draws/{id}/execution): the pool is fixed now, the seed revealed."""
    user.require("bureau_officer")
    form = await request.form()

    async def act() -> None:
        await user.api.post(
            "acceptance",
            f"/v1/draws/{draw_id}/execution",
            None,
            key=form_key(form),
        )

    again = redraw(draws_page, request, user)
    return await post_redirect_get(act, then="/draws?notice=drawn", again=again)
