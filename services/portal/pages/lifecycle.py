"""Implementation and acceptance on the project page: one form per next step, by state and role.

Procurement and contracts belong to the budget service; completion, the
pre-acceptance review (符合性审查), acceptance, operation and evaluations to the
acceptance service. Each form is checked here first (Chinese messages), then
sent; the services' refusals (problem+json) are shown on the page as they are.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from libs.vocab import EVALUATION_KINDS, PROCUREMENT_METHODS
from services.portal.pages.forms import Invalid
from services.portal.pages.forms import choice as _choice
from services.portal.pages.forms import date as _date
from services.portal.pages.forms import form_key as _key
from services.portal.pages.forms import text as _text
from services.portal.pages.forms import yuan as _yuan
from services.portal.pages.project_actions import on_project_page
from services.portal.pages.projects import project_page
from services.portal.web import CurrentUser

router = APIRouter(include_in_schema=False)


Action = tuple[str, str, str, Callable[[FormData], Any], str]  # service, method, path, body, notice

ACTIONS: dict[str, Action] = {
    "procurement": (
        "budget", "POST", "/v1/projects/{id}/procurement",
        lambda f: {"method": _choice(f, "method", "采购方式", PROCUREMENT_METHODS), "started_on": _date(f, "started_on", "采购启动日期")},
        "已启动采购。",
    ),
    "contract": (
        "budget", "POST", "/v1/projects/{id}/contracts",
        lambda f: {
            "supplier": _text(f, "supplier", "供应商"),
            "amount": _yuan(f, "amount", "合同金额"),
            "signed_on": _date(f, "signed_on", "签订日期"),
            "document_id": _text(f, "document_id", "合同文本（先在“项目文件”中上传）"),
        },
        "合同已登记。",
    ),
    "completion": (
        "acceptance", "POST", "/v1/projects/{id}/completion",
        lambda f: {"completed_on": _date(f, "completed_on", "建成日期"), "note": _text(f, "note", "说明", required=False)},
        "已申报项目建成，验收期限开始计算。",
    ),
    "review": (
        "acceptance", "POST", "/v1/projects/{id}/review",
        lambda f: {"note": _text(f, "note", "说明", required=False)},
        "已申请验收前置审核。",
    ),
    "review_decision": (
        "acceptance", "POST", "/v1/projects/{id}/review/decision",
        lambda f: {"outcome": _choice(f, "outcome", "审核结论", ("pass", "return")), "opinion": _text(f, "opinion", "审核意见")},
        "已作出验收前置审核结论。",
    ),
    "acceptance": (
        "acceptance", "POST", "/v1/projects/{id}/acceptance",
        lambda f: {
            "outcome": _choice(f, "outcome", "验收结论", ("passed", "failed")),
            "held_on": _date(f, "held_on", "验收日期"),
            "report_document_id": _text(f, "report_document_id", "验收报告（先在“项目文件”中上传）"),
            "expert_opinions": [
                {
                    "name": _text(f, "expert_name", "专家姓名"),
                    "opinion": _text(f, "expert_opinion", "专家意见"),
                    "conclusion": "pass" if f.get("outcome") == "passed" else "fail",
                }
            ],
            "conclusion": _text(f, "conclusion", "验收意见"),
        },
        "验收结果已记录。",
    ),
    "operation": (
        "acceptance", "POST", "/v1/projects/{id}/operation",
        lambda f: {"in_operation_on": _date(f, "in_operation_on", "投入使用日期")},
        "系统已投入使用。",
    ),
    "evaluation": (
        "acceptance", "POST", "/v1/projects/{id}/evaluations",
        lambda f: {
            "kind": _choice(f, "kind", "评价类型", EVALUATION_KINDS),
            "report_document_id": _text(f, "report_document_id", "评价报告（先在“项目文件”中上传）"),
            "submitted_on": _date(f, "submitted_on", "提交日期"),
            "summary": _text(f, "summary", "摘要"),
            "rating": _text(f, "rating", "评价等级", required=False),
        },
        "评价已提交。",
    ),
}  # fmt: skip


@router.post("/projects/{project_id}/actions/{action}")
async def act(request: Request, user: CurrentUser, project_id: str, action: str) -> Response:
    user.require("unit_officer", "bureau_officer")
    if action not in ACTIONS and action != "evidence":
        return await project_page(request, user, project_id, error="没有这个操作", status=404)
    form = await request.form()

    async def send() -> None:
        if action == "evidence":
            code = _text(form, "code", "审核事项")
            docs = [str(d) for d in form.getlist("evidence_document_ids")]
            if not docs:
                raise Invalid("请至少选择一个证明文件")
            await user.api.request(
                "PUT",
                "acceptance",
                f"/v1/projects/{project_id}/review/items/{code}",
                json={"evidence_document_ids": docs},
            )
        else:
            service, method, path, build, _ = ACTIONS[action]
            await user.api.request(
                method,
                service,
                path.format(id=project_id),
                json=build(form),
                key=_key(form),
            )

    return await on_project_page(request, user, project_id, form, send, notice=action)
