"""The annual plan (年度需求计划), as the bureau and units keep it (the catalog: pages/catalog.py)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from libs.common.deadlines import today_in_china
from libs.vocab import PLAN_ITEM_SORTS, AmountError, parse_amount
from services.portal.pages.forms import NOTHING, Invalid, Shown, post_redirect_get, redraw
from services.portal.paging import FIRST_PAGE, PageQuery, Paging, known_sort, pager
from services.portal.web import CurrentUser, User, render

router = APIRouter(include_in_schema=False)


#: Who keeps or reads the annual plan (the page and its export).
READERS = ("bureau_officer", "unit_officer", "overseer")


#: Items on one page of the plan; the order a person picked (libs/vocab PLAN_ITEM_SORTS).
PAGE_SIZE = 50


async def plan_and_units(user: User, year: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The year's plan and every unit of the jurisdiction (their names fill 建设单位)."""
    plan: dict[str, Any] = await user.api.get("registry", f"/v1/plans/{year}")
    units: list[dict[str, Any]] = await user.api.get("registry", "/v1/units", tenant=user.tenant)
    return plan, units


async def item_page(
    user: User, year: int, *, sort: str, cursor: str = "", every: bool = False
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of the plan's items in ``sort`` order and the next page's cursor (or None);
    ``every``: all of them (the export)."""
    path = f"/v1/plans/{year}/items"
    return await user.api.listing(
        "registry", path, sort=sort, cursor=cursor, limit=PAGE_SIZE, every=every
    )


@router.get("/plans")
async def plans_home(user: CurrentUser) -> RedirectResponse:
    return RedirectResponse(f"/plans/{today_in_china().year + 1}", status_code=303)


async def _plan_page(
    request: Request,
    user: User,
    year: int,
    shown: Shown = NOTHING,
    *,
    at: PageQuery = FIRST_PAGE,
) -> HTMLResponse:
    user.require(*READERS)
    sort = known_sort(at.sort, PLAN_ITEM_SORTS, "submitted")
    plan, all_units = await plan_and_units(user, year)
    items, next_cursor = await item_page(user, year, sort=sort, cursor=at.cursor)
    # Every unit's name for the 建设单位 column; the form offers only the person's own unit.
    names = {u["id"]: u["name"] for u in all_units}
    units = [u for u in all_units if u["id"] == user.unit] if user.unit else []
    units = units or all_units
    return render(
        request,
        "plans.html",
        user,
        shown.status,
        title=f"{year}年度需求计划",
        plan=plan,
        items=items,
        year=year,
        sort=sort,
        SORTABLE=PLAN_ITEM_SORTS,
        **pager(page_no=at.page_no, page_size=PAGE_SIZE, next_cursor=next_cursor),
        # Where an action on one item returns to: this page, in this order.
        here=f"/plans/{year}?"
        + urlencode({"sort": sort, "cursor": at.cursor, "page_no": at.page_no}),
        units=units,
        unit_names=names,
        **shown.context(),
    )


# What a page says after a form was posted and the browser redirected (POST-redirect-GET).
NOTICES = {
    "demand": "需求已申报。",
    "consolidated": "已汇总形成年度建设计划。",
    "excluded": "该需求已排除，汇总时不纳入计划。",
    "restored": "该需求已恢复，汇总时纳入计划。",
}


def bad_year(request: Request, user: User, year: int) -> HTMLResponse | None:
    """422 for a year outside 2000–2100 (a hand-edited address); None when it is fine."""
    if 2000 <= year <= 2100:
        return None
    return render(
        request,
        "error.html",
        user,
        422,
        title="年度不正确",
        message="年度须为2000至2100之间的年份。",
    )


@router.get("/plans/{year}", response_class=HTMLResponse)
async def plan(
    request: Request, user: CurrentUser, year: int, at: Paging, notice: str = ""
) -> HTMLResponse:
    if (refused := bad_year(request, user, year)) is not None:
        return refused
    return await _plan_page(request, user, year, Shown(notice=NOTICES.get(notice)), at=at)


@router.post("/plans/{year}/items", response_class=HTMLResponse)
async def add_demand(request: Request, user: CurrentUser, year: int) -> Response:
    user.require("unit_officer", "bureau_officer")
    form = await request.form()

    async def act() -> None:
        name = str(form.get("name") or "").strip()
        problems = []
        if not name:
            problems.append("请填写拟建项目名称")
        amount = None
        try:
            amount = parse_amount(str(form.get("amount") or ""), field="预计总投资")
        except AmountError as exc:
            problems.append(exc.message)
        if form.get("project_class") not in ("public", "professional"):
            problems.append("请选择项目类别")
        if not form.get("unit_id"):
            problems.append("请选择建设单位")
        if problems:
            raise Invalid("；".join(problems))
        body = {
            "unit_id": form.get("unit_id"),
            "name": name,
            "project_class": form.get("project_class"),
            "amount": amount,
            "description": str(form.get("description") or "").strip() or None,
        }
        await user.api.post("registry", f"/v1/plans/{year}/items", body)

    again = redraw(_plan_page, request, user, year, form=form)
    return await post_redirect_get(act, then=f"/plans/{year}?notice=demand", again=again)


@router.post("/plans/{year}/consolidate", response_class=HTMLResponse)
async def consolidate(request: Request, user: CurrentUser, year: int) -> Response:
    user.require("bureau_officer")

    async def act() -> None:
        # The items to leave out were excluded one by one (below), so they hold across pages.
        await user.api.post("registry", f"/v1/plans/{year}/consolidate", {"exclude": []})

    again = redraw(_plan_page, request, user, year)
    return await post_redirect_get(act, then=f"/plans/{year}?notice=consolidated", again=again)


def _back(raw: object, year: int) -> str:
    # Back to the page of the list the person was on (our own plan pages only).
    value = str(raw or "")
    return value if value.startswith(f"/plans/{year}?") and "//" not in value else f"/plans/{year}?"


@router.post("/plans/{year}/items/{item_id}/{action}", response_class=HTMLResponse)
async def mark_item(
    request: Request, user: CurrentUser, year: int, item_id: str, action: str
) -> Response:
    """排除 / 恢复 one item before consolidation (registry keeps it on the item)."""
    user.require("bureau_officer")
    if action not in ("exclude", "restore"):
        return render(request, "error.html", user, 404, title="找不到", message="没有这项操作。")
    form = await request.form()
    back = _back(form.get("back"), year)
    notice = "excluded" if action == "exclude" else "restored"

    async def act() -> None:
        # Each path spelled out: the console-coverage test reads which endpoints pages call.
        if action == "exclude":
            await user.api.post("registry", f"/v1/plans/{year}/items/{item_id}/exclude", None)
        else:
            await user.api.post("registry", f"/v1/plans/{year}/items/{item_id}/restore", None)

    again = redraw(_plan_page, request, user, year)
    return await post_redirect_get(act, then=f"{back}&notice={notice}", again=again)
