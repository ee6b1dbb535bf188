"""The work queue (待办): open review steps for the person's roles, and acting on one.

Steps, opinions and experts belong to the approval service (GET /v1/tasks,
GET /v1/workflows/{id}, POST /v1/steps/{id}/opinions, PUT /v1/steps/{id}/experts,
POST /v1/steps/{id}/expert-opinions); this page only shows and forwards.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from libs.vocab import OPINION_OUTCOMES, TASK_SORTS, AmountError, parse_amount
from services.portal.client import ApiError
from services.portal.navigation import QUEUE_WORKERS
from services.portal.paging import Paging, known_sort, pager
from services.portal.web import CurrentUser, User, render

router = APIRouter(include_in_schema=False)

WORKERS = QUEUE_WORKERS  # the menu offers 待办 to the same roles
# The choices of an officer's opinion and of an expert's conclusion (approval's
# OpinionIn.outcome, ExpertOpinionIn.conclusion), labelled by libs/vocab.
OUTCOMES = {code: OPINION_OUTCOMES[code] for code in ("approve", "return", "reject")}
CONCLUSIONS = {code: OPINION_OUTCOMES[code] for code in ("agree", "agree_with_changes", "disagree")}
# Steps whose opinion may fix an amount (approval's OpinionIn.approved_amount).
AMOUNT_STEPS = ("finance_review", "approval_decision")


TASKS_PAGE_SIZE = 50


@router.get("/tasks", response_class=HTMLResponse)
async def tasks(request: Request, user: CurrentUser, at: Paging) -> HTMLResponse:
    user.require(*WORKERS)
    sort = known_sort(at.sort, TASK_SORTS, "opened")
    try:
        queue = await user.api.get(
            "approval", "/v1/tasks", sort=sort, cursor=at.cursor, limit=TASKS_PAGE_SIZE
        )
        unavailable = None
    except ApiError as exc:
        if exc.status not in (404, 405):
            raise
        queue, unavailable = {"items": []}, "审批流程服务尚未开通待办接口。"
    items = queue.get("items", [])
    steps = [t for t in items if t.get("kind") in ("step", "expert_review")]
    reports = [t for t in items if t.get("kind") == "report"]
    for report in reports:  # the report names the project by id; people know it by name
        try:
            project = await user.api.get("registry", f"/v1/projects/{report['project_id']}")
            report["project_name"] = project["name"]
        except ApiError as exc:
            if exc.status == 401:
                raise
    reviews: list[dict[str, Any]] = []
    if user.has("bureau_officer") and not at.cursor:  # the first page lists them once
        # 验收前置审核 waiting for the bureau (the acceptance service's reviews, by project state).
        page = await user.api.get(
            "registry", "/v1/projects", state="acceptance_review", tenant=user.tenant, limit=100
        )
        reviews = page["items"]
    return render(
        request,
        "tasks/list.html",
        user,
        title="待办",
        steps=steps,
        reports=reports,
        reviews=reviews,
        unavailable=unavailable,
        sort=sort,
        SORTABLE=TASK_SORTS,
        **pager(
            page_no=at.page_no, page_size=TASKS_PAGE_SIZE, next_cursor=queue.get("next_cursor")
        ),
    )


@router.post("/reports/{report_id}/receipt", response_class=HTMLResponse)
async def acknowledge(request: Request, user: CurrentUser, report_id: str) -> Response:
    """The city acknowledges a county's reported 立项 result (e.g. 潮府办〔2020〕20号 第十四条)."""
    user.require("overseer")
    form = await request.form()
    note = str(form.get("note") or "").strip() or None
    try:
        await user.api.post("approval", f"/v1/reports/{report_id}/receipt", {"note": note})
    except ApiError as exc:
        if exc.status == 401:
            raise
        return render(
            request, "error.html", user, exc.status, title="操作未完成", message=exc.message
        )
    return RedirectResponse("/tasks?done=1", status_code=303)


async def _step_context(user: User, workflow_id: str, step_id: str) -> dict[str, Any]:
    workflow = await user.api.get("approval", f"/v1/workflows/{workflow_id}")
    step = next((s for s in workflow.get("steps", []) if s["step_id"] == step_id), None)
    if step is None:
        raise ApiError(404, "找不到该审核环节", step_id)
    project = await user.api.get("registry", f"/v1/projects/{workflow['project_id']}")
    try:
        docs = await user.api.get(
            "archive", "/v1/documents", project_id=workflow["project_id"], limit=200
        )
    except ApiError:
        docs = []
    return {"workflow": workflow, "step": step, "project": project, "docs": docs}


async def _step_page(
    request: Request,
    user: User,
    workflow_id: str,
    step_id: str,
    *,
    error: str | None = None,
    status: int = 200,
    values: dict[str, Any] | None = None,
) -> HTMLResponse:
    ctx = await _step_context(user, workflow_id, step_id)
    return render(
        request,
        "tasks/step.html",
        user,
        status,
        title=f"办理：{ctx['project']['name']}",
        error=error,
        values=values or {},
        OUTCOMES=OUTCOMES,
        CONCLUSIONS=CONCLUSIONS,
        amount_step=ctx["step"]["code"] in AMOUNT_STEPS,
        **ctx,
    )


@router.get("/steps/{step_id}", response_class=HTMLResponse)
async def step(request: Request, user: CurrentUser, step_id: str, workflow: str) -> HTMLResponse:
    user.require(*WORKERS)
    return await _step_page(request, user, workflow, step_id)


@router.post("/steps/{step_id}", response_class=HTMLResponse)
async def act(request: Request, user: CurrentUser, step_id: str, workflow: str) -> Response:
    """One form for the three ways to act: an opinion, an expert's opinion, naming experts."""
    user.require(*WORKERS)
    form = await request.form()
    action = str(form.get("action") or "opinion")
    values = {k: form.get(k) for k in form}
    opinion = str(form.get("opinion") or "").strip()
    attachments = [str(a) for a in form.getlist("attachments")]
    try:
        if action == "experts":
            experts = []
            for line in str(form.get("experts") or "").splitlines():
                parts = [p.strip() for p in line.replace("，", ",").split(",") if p.strip()]
                if parts:
                    experts.append(
                        {"user": parts[0], "name": parts[1] if len(parts) > 1 else parts[0]}
                    )
            if not experts:
                return await _step_page(
                    request,
                    user,
                    workflow,
                    step_id,
                    error="请至少填写一位专家（每行：账号,姓名）",
                    status=422,
                    values=values,
                )
            await user.api.request(
                "PUT", "approval", f"/v1/steps/{step_id}/experts", json={"experts": experts}
            )
        elif action == "expert_opinion":
            conclusion = str(form.get("conclusion") or "")
            if conclusion not in CONCLUSIONS or not opinion:
                return await _step_page(
                    request,
                    user,
                    workflow,
                    step_id,
                    error="请选择评审结论并填写评审意见",
                    status=422,
                    values=values,
                )
            await user.api.post(
                "approval",
                f"/v1/steps/{step_id}/expert-opinions",
                {"conclusion": conclusion, "opinion": opinion, "attachments": attachments},
            )
        else:
            outcome = str(form.get("outcome") or "")
            if outcome not in OUTCOMES:
                return await _step_page(
                    request,
                    user,
                    workflow,
                    step_id,
                    error="请选择办理结论：同意、退回修改或不同意",
                    status=422,
                    values=values,
                )
            if not opinion:
                return await _step_page(
                    request, user, workflow, step_id, error="请填写意见", status=422, values=values
                )
            body: dict[str, Any] = {
                "outcome": outcome,
                "opinion": opinion,
                "attachments": attachments,
            }
            raw = str(form.get("approved_amount") or "").strip()
            if raw:
                try:
                    body["approved_amount"] = parse_amount(raw, field="核定金额")
                except AmountError as exc:
                    return await _step_page(
                        request,
                        user,
                        workflow,
                        step_id,
                        error=exc.message,
                        status=422,
                        values=values,
                    )
            await user.api.post("approval", f"/v1/steps/{step_id}/opinions", body)
    except ApiError as exc:
        if exc.status == 401:
            raise
        return await _step_page(
            request, user, workflow, step_id, error=exc.message, status=exc.status, values=values
        )
    if action == "experts":
        return RedirectResponse(f"/steps/{step_id}?workflow={workflow}", status_code=303)
    return RedirectResponse("/tasks?done=1", status_code=303)
