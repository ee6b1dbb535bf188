"""平台管理员: the jurisdiction tree (租户) and the policy packs in force in each.

The tree is reference data above every tenant (registry /v1/tenants, the
``platform.admin`` action). The packs are the policies/ files the services load
(reviewed like code, so not edited here); the approval service shows a person
only their own jurisdiction's packs, so the administrator's overview reads the
same files through the console's copy (pages/policy.py ``packs_of``), as the
policy pages do for the regulation's text.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from libs.common.deadlines import today_in_china
from libs.policy import NoPolicyInForce, Pack, PolicyRegistry
from libs.vocab import FORM_FIELDS, TENANT_LEVELS
from services.portal.pages.forms import (
    NOTHING,
    Invalid,
    Shown,
    choice,
    drawn_version,
    form_key,
    post_redirect_get,
    redraw,
    text,
)
from services.portal.pages.policy import packs_of
from services.portal.web import CurrentUser, User, render

router = APIRouter(include_in_schema=False)

_CODE = re.compile(r"^[0-9]{6}$")
NOTICES = {"created": "行政区划已新增。", "renamed": "名称已修改。"}


def _judging(packs: PolicyRegistry, tenant: str, on: date) -> Pack | None:
    """The version that judges the tenant's submissions ``on`` (a covering draft if none in force)."""
    try:
        return packs.pack_for(tenant, on)
    except NoPolicyInForce:
        return None


async def admin_page(
    request: Request,
    user: User,
    shown: Shown = NOTHING,
) -> HTMLResponse:
    user.require("platform_admin")
    tenants = await user.api.get("registry", "/v1/tenants")
    packs = packs_of(request)
    today = today_in_china()
    in_force = {t["code"]: _judging(packs, t["code"], today) for t in tenants}
    return render(
        request,
        "admin/tenants.html",
        user,
        shown.status,
        title="平台管理",
        tenants=sorted(tenants, key=lambda t: t["code"]),
        in_force=in_force,
        packs=sorted(packs, key=lambda p: (p.tenant, p.validity.effective_from or date.min)),
        **shown.context(),
    )


@router.get("/admin", response_class=HTMLResponse)
async def admin(request: Request, user: CurrentUser, notice: str = "") -> HTMLResponse:
    return await admin_page(request, user, Shown(notice=NOTICES.get(notice)))


def _code(form: Any, field: str, label: str, *, required: bool) -> str | None:
    value = text(form, field, label, required=required)
    if value is not None and not _CODE.fullmatch(value):
        raise Invalid(f"{label}须为六位数字（GB/T 2260，如 445322）")
    return value


@router.post("/admin/tenants", response_class=HTMLResponse)
async def create_tenant(request: Request, user: CurrentUser) -> Response:
    """新增行政区划 (registry POST /v1/tenants)."""
    user.require("platform_admin")
    form = await request.form()

    async def act() -> None:
        body = {
            "code": _code(form, "code", "行政区划代码", required=True),
            "name": text(form, "name", "名称"),
            "level": choice(form, "level", "层级", TENANT_LEVELS),
            "parent_code": _code(form, "parent_code", "上级行政区划代码", required=False),
        }
        await user.api.post("registry", "/v1/tenants", body, key=form_key(form))

    return await post_redirect_get(
        act,
        then="/admin?notice=created",
        again=redraw(admin_page, request, user, form=form),
        fields=FORM_FIELDS["tenant"],
    )


@router.post("/admin/tenants/{code}", response_class=HTMLResponse)
async def rename_tenant(request: Request, user: CurrentUser, code: str) -> Response:
    """修改行政区划名称 (registry PATCH /v1/tenants/{code}, If-Match)."""
    user.require("platform_admin")
    form = await request.form()

    async def act() -> None:
        version = drawn_version(form)
        body = {"name": text(form, "name", "名称")}
        await user.api.patch("registry", f"/v1/tenants/{code}", body, version=version)

    return await post_redirect_get(
        act,
        then="/admin?notice=renamed",
        again=redraw(admin_page, request, user),
        fields=FORM_FIELDS["tenant"],
    )
