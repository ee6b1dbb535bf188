"""建设单位: the bureau (or the platform administrator) registers a jurisdiction's units."""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from libs.vocab import FORM_FIELDS
from services.portal.pages.forms import (
    NOTHING,
    Invalid,
    Shown,
    form_key,
    post_redirect_get,
    redraw,
    text,
)
from services.portal.web import CurrentUser, User, render

router = APIRouter(include_in_schema=False)

REGISTRARS = ("bureau_officer", "platform_admin")
# 统一社会信用代码 (GB 32100): 18 characters, no I, O, Z, S or V (the registry's UnitCreate).
_CREDIT_CODE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$")


async def units_page(
    request: Request,
    user: User,
    shown: Shown = NOTHING,
) -> HTMLResponse:
    user.require(*REGISTRARS)
    units = await user.api.get("registry", "/v1/units", tenant=user.tenant)
    return render(
        request,
        "units.html",
        user,
        shown.status,
        title="建设单位",
        units=sorted(units, key=lambda u: u["name"]),
        **shown.context(),
    )


@router.get("/units", response_class=HTMLResponse)
async def units(request: Request, user: CurrentUser, registered: str = "") -> HTMLResponse:
    notice = "建设单位已登记。" if registered else None
    return await units_page(request, user, Shown(notice=notice))


@router.post("/units", response_class=HTMLResponse)
async def register_unit(request: Request, user: CurrentUser) -> Response:
    """登记建设单位 in the person's own jurisdiction (registry POST /v1/units)."""
    user.require(*REGISTRARS)
    form = await request.form()

    async def act() -> None:
        name = text(form, "name", "单位名称")
        credit_code = text(form, "credit_code", "统一社会信用代码", required=False)
        if credit_code is not None:
            credit_code = credit_code.upper()
            if not _CREDIT_CODE.fullmatch(credit_code):
                raise Invalid(
                    "统一社会信用代码须为18位，由数字和大写字母组成（不含I、O、Z、S、V），可不填"
                )
        body = {"name": name, "credit_code": credit_code}
        await user.api.post("registry", "/v1/units", body, key=form_key(form))

    return await post_redirect_get(
        act,
        then="/units?registered=1",
        again=redraw(units_page, request, user, form=form),
        fields=FORM_FIELDS["unit"],
    )
