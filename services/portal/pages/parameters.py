"""Parameters a regulation leaves to an authority (政府采购限额 …), recorded with the document setting them.

A pack marks such a parameter ``set_by`` (e.g. 坡头区 第十二条 names no amount);
the bureau records each value with its 文号, date and the day from which
submissions use it (approval /v1/policy/parameters). Values never change: a
later one supersedes from its own date.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from libs.vocab import FORM_FIELDS
from services.portal.pages.forms import (
    NOTHING,
    Invalid,
    Shown,
    choice,
    date,
    flag,
    form_key,
    post_redirect_get,
    redraw,
    text,
    yuan,
)
from services.portal.web import CurrentUser, User, render

router = APIRouter(include_in_schema=False)


async def _open_parameters(user: User) -> dict[str, dict[str, Any]]:
    """The parameters the person's own tenant's packs leave to an authority, by name."""
    listed = await user.api.get("approval", "/v1/policies")
    own = [p for p in listed if p["tenant"] == user.tenant]

    async def spec(pack_id: str) -> dict[str, Any]:
        served: dict[str, Any] = await user.api.get("approval", f"/v1/policies/{pack_id}")
        return served["pack"]

    found: dict[str, dict[str, Any]] = {}
    for pack in await asyncio.gather(*(spec(p["id"]) for p in own)):
        for name, p in (pack.get("parameters") or {}).items():
            if p.get("set_by"):
                found.setdefault(name, p)
    return found


async def parameters_page(
    request: Request,
    user: User,
    shown: Shown = NOTHING,
) -> HTMLResponse:
    user.require("bureau_officer")
    recorded = await user.api.get("approval", "/v1/policy/parameters")
    return render(
        request,
        "policy/parameters.html",
        user,
        shown.status,
        title="主管机关设定的参数",
        recorded=recorded,
        open_parameters=await _open_parameters(user),
        **shown.context(),
    )


@router.get("/parameters", response_class=HTMLResponse)
async def parameters(request: Request, user: CurrentUser, notice: str = "") -> HTMLResponse:
    shown = "参数已登记，自生效日期起申报的项目按此判定。" if notice == "recorded" else None
    return await parameters_page(request, user, Shown(notice=shown))


def _value(form: FormData, kind: str) -> int | str | bool:
    if kind == "amount":
        return yuan(form, "value", "参数值（金额）")
    if kind == "bool":
        return flag(form, "value")
    value = text(form, "value", "参数值")
    assert value is not None  # required
    return value


@router.post("/parameters", response_class=HTMLResponse)
async def record_parameter(request: Request, user: CurrentUser) -> Response:
    """登记参数 (approval POST /v1/policy/parameters)."""
    user.require("bureau_officer")
    form = await request.form()

    async def act() -> None:
        open_parameters = await _open_parameters(user)
        name = choice(form, "name", "参数", tuple(open_parameters))
        kind = str(open_parameters[name].get("type") or "")
        document = text(form, "document", "设定文件文号")
        if document is not None and len(document) < 2:
            raise Invalid("设定文件文号至少2个字")
        body = {
            "name": name,
            "value": _value(form, kind),
            "document": document,
            "document_date": date(form, "document_date", "文件日期"),
            "effective_from": date(form, "effective_from", "生效日期"),
        }
        await user.api.post("approval", "/v1/policy/parameters", body, key=form_key(form))

    return await post_redirect_get(
        act,
        then="/parameters?notice=recorded",
        again=redraw(parameters_page, request, user, form=form),
        fields=FORM_FIELDS["parameter"],
    )
