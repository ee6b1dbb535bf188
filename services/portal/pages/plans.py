"""The annual plan (年度需求计划) and the 政务信息系统目录, as the bureau and units keep them."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from libs.common.deadlines import today_in_china
from libs.vocab import AmountError, parse_amount
from services.portal.client import ApiError
from services.portal.web import CurrentUser, User, render

router = APIRouter(include_in_schema=False)


@router.get("/plans")
async def plans_home(user: CurrentUser) -> RedirectResponse:
    return RedirectResponse(f"/plans/{today_in_china().year + 1}", status_code=303)


async def _plan_page(
    request: Request,
    user: User,
    year: int,
    *,
    error: str | None = None,
    notice: str | None = None,
    status: int = 200,
    values: dict[str, Any] | None = None,
) -> HTMLResponse:
    user.require("bureau_officer", "unit_officer", "overseer")
    plan = await user.api.get("registry", f"/v1/plans/{year}")
    units = await user.api.get("registry", "/v1/units", tenant=user.tenant)
    # Every unit's name for the 建设单位 column; the form offers only the person's own unit.
    names = {u["id"]: u["name"] for u in units}
    if user.unit:
        units = [u for u in units if u["id"] == user.unit] or units
    return render(
        request,
        "plans.html",
        user,
        status,
        title=f"{year}年度需求计划",
        plan=plan,
        year=year,
        units=units,
        unit_names=names,
        error=error,
        notice=notice,
        values=values or {},
    )


# What a page says after a form was posted and the browser redirected (POST-redirect-GET).
NOTICES = {
    "demand": "需求已申报。",
    "consolidated": "已汇总形成年度建设计划。",
    "registered": "系统已登记。",
    "operating": "系统已投入运行。",
}


@router.get("/plans/{year}", response_class=HTMLResponse)
async def plan(request: Request, user: CurrentUser, year: int, notice: str = "") -> HTMLResponse:
    if not 2000 <= year <= 2100:
        return render(
            request,
            "error.html",
            user,
            422,
            title="年度不正确",
            message="年度须为2000至2100之间的年份。",
        )
    return await _plan_page(request, user, year, notice=NOTICES.get(notice))


@router.post("/plans/{year}/items", response_class=HTMLResponse)
async def add_demand(request: Request, user: CurrentUser, year: int) -> Response:
    user.require("unit_officer", "bureau_officer")
    form = await request.form()
    values = {k: form.get(k) for k in form}
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
        return await _plan_page(
            request, user, year, error="；".join(problems), status=422, values=values
        )
    body = {
        "unit_id": form.get("unit_id"),
        "name": name,
        "project_class": form.get("project_class"),
        "amount": amount,
        "description": str(form.get("description") or "").strip() or None,
    }
    try:
        await user.api.post("registry", f"/v1/plans/{year}/items", body)
    except ApiError as exc:
        if exc.status == 401:
            raise
        return await _plan_page(
            request, user, year, error=exc.message, status=exc.status, values=values
        )
    return RedirectResponse(f"/plans/{year}?notice=demand", status_code=303)


@router.post("/plans/{year}/consolidate", response_class=HTMLResponse)
async def consolidate(request: Request, user: CurrentUser, year: int) -> Response:
    user.require("bureau_officer")
    form = await request.form()
    exclude = [str(v) for v in form.getlist("exclude")]
    try:
        await user.api.post("registry", f"/v1/plans/{year}/consolidate", {"exclude": exclude})
    except ApiError as exc:
        if exc.status == 401:
            raise
        return await _plan_page(request, user, year, error=exc.message, status=exc.status)
    return RedirectResponse(f"/plans/{year}?notice=consolidated", status_code=303)


@router.get("/catalog", response_class=HTMLResponse)
async def catalog(
    request: Request,
    user: CurrentUser,
    state: str = "",
    error: str | None = None,
    notice: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    user.require("bureau_officer", "unit_officer", "overseer")
    notice = NOTICES.get(notice or "")
    systems = await user.api.get("registry", "/v1/systems", state=state)
    units = await user.api.get("registry", "/v1/units", tenant=user.tenant)
    names = {u["id"]: u["name"] for u in units}
    return render(
        request,
        "catalog.html",
        user,
        status,
        title="政务信息系统目录",
        systems=systems,
        units=units,
        unit_names=names,
        state=state,
        error=error,
        notice=notice,
    )


@router.post("/catalog", response_class=HTMLResponse)
async def register_system(request: Request, user: CurrentUser) -> Response:
    user.require("bureau_officer", "unit_officer")
    form = await request.form()
    name = str(form.get("name") or "").strip()
    if not name or not form.get("unit_id"):
        return await catalog(request, user, error="请填写系统名称并选择主管单位", status=422)
    body: dict[str, Any] = {
        "name": name,
        "unit_id": form.get("unit_id"),
        "state": form.get("state") or "planned",
        "description": str(form.get("description") or "").strip() or None,
    }
    for flag in (
        "shares_data",
        "duplicate_collection",
        "crypto_compliant",
        "security_compliant",
        "secure_reliable",
        "hosted_on_gov_cloud",
    ):
        body[flag] = form.get(flag) == "on"
    try:
        await user.api.post("registry", "/v1/systems", body)
    except ApiError as exc:
        if exc.status == 401:
            raise
        return await catalog(request, user, error=exc.message, status=exc.status)
    return RedirectResponse("/catalog?notice=registered", status_code=303)


@router.post("/catalog/{system_id}/operate", response_class=HTMLResponse)
async def operate(request: Request, user: CurrentUser, system_id: str) -> Response:
    user.require("bureau_officer", "unit_officer")
    try:
        await user.api.post("registry", f"/v1/systems/{system_id}/operate", None)
    except ApiError as exc:
        if exc.status == 401:
            raise
        return await catalog(request, user, error=exc.message, status=exc.status)
    return RedirectResponse("/catalog?notice=operating", status_code=303)
