"""Projects: list, create, edit, submit, and one project's page with its decision."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from libs.common.deadlines import today_in_china
from libs.vocab import (
    CHANGE_KINDS,
    PROJECT_SORTS,
    PROJECT_TABS,
    STATE_LABELS,
    AmountError,
    parse_amount,
)
from services.portal.client import ApiError, answer_or_message
from services.portal.navigation import PROJECT_READERS, Crumb
from services.portal.pages.forms import FormErrors, project_payload
from services.portal.pages.funds_forms import FUNDS_NOTICES
from services.portal.paging import known_sort
from services.portal.web import CurrentUser, User, render

router = APIRouter(include_in_schema=False)

# The choices of the lifecycle forms (budget ProcurementStart.method, acceptance
# EvaluationIn.kind) and of a change request: libs/vocab's tables.

# A change request needs an approval or filing to change (approval's changes.approved_result).
CLOSED_TO_CHANGES = ("draft", "submitted", "under_review", "rejected", "out_of_scope", "terminated")
READERS = PROJECT_READERS  # the menu offers 项目 to the same roles


async def _units(user: User) -> list[dict[str, Any]]:
    units: list[dict[str, Any]] = await user.api.get("registry", "/v1/units", tenant=user.tenant)
    if user.unit:  # an officer whose token names a unit acts for that unit only
        units = [u for u in units if u["id"] == user.unit] or units
    return units


async def _demand_items(user: User, year: int, unit_id: str | None) -> list[dict[str, Any]]:
    """The consolidated plan's included items of ``unit_id`` for ``year`` (what a project may claim)."""
    query = {"state": "included", **({"unit_id": unit_id} if unit_id else {})}
    try:
        items: list[dict[str, Any]] = await user.api.get(
            "registry", f"/v1/plans/{year}/items", sort="name", limit=200, **query
        )
    except ApiError:
        return []
    return items


# The orders the list offers (the registry's ?sort=): column → its header.
SORTABLE = PROJECT_SORTS
PAGE_SIZE = 20


async def _jurisdictions(user: User) -> list[dict[str, Any]]:
    """The tenants an overseer may filter by: its own and its counties (the registry's answer)."""
    tenants: list[dict[str, Any]] = await user.api.get("registry", "/v1/tenants")
    return sorted(tenants, key=lambda t: (t["code"] != user.tenant, t["code"]))


@dataclass(frozen=True, slots=True)
class ProjectFilters:
    """The project list's filters and order (?state=&route=&q=&tenant=&year=&unit_id=&sort=).

    The list and its Excel export read them alike, so the workbook holds the table's rows.
    """

    state: str = ""
    route: str = ""
    q: str = ""
    tenant: str = ""
    year: str = ""
    unit_id: str = ""
    sort: str = "-created"

    @property
    def order(self) -> str:
        """The order asked for if the registry offers it, else newest first."""
        return known_sort(self.sort, SORTABLE, "-created")

    def query(self) -> dict[str, Any]:
        """The registry's ``GET /v1/projects`` parameters."""
        return {
            "state": self.state,
            "route": self.route,
            "q": self.q,
            "tenant": self.tenant,
            "year": self.year if self.year.isdigit() else None,
            "unit_id": self.unit_id or None,
            "sort": self.order,
        }

    def shown(self) -> dict[str, str]:
        """The filters as the page's form and links keep them."""
        shown = {name: getattr(self, name) for name in ("state", "route", "q", "tenant", "year")}
        return shown | ({"unit_id": self.unit_id} if self.unit_id else {})


Filters = Annotated[ProjectFilters, Depends()]


@router.get("/projects", response_class=HTMLResponse)
async def list_projects(
    request: Request, user: CurrentUser, filters: Filters, cursor: str = "", page_no: int = 1
) -> HTMLResponse:
    user.require(*READERS)
    query = filters.query()
    page = await user.api.get("registry", "/v1/projects", **query, cursor=cursor, limit=PAGE_SIZE)
    tenants = await _jurisdictions(user) if user.has("overseer") else []
    own_unit = filters.unit_id and filters.unit_id == user.unit
    return render(
        request,
        "projects/list.html",
        user,
        title="我的项目" if own_unit else "项目",
        page=page,
        filters=filters.shown(),
        sort=query["sort"],
        SORTABLE=SORTABLE,
        page_no=max(page_no, 1),
        page_size=PAGE_SIZE,
        tenants=tenants,
        own_unit=own_unit,
    )


async def _form_page(
    request: Request,
    user: User,
    *,
    project: dict[str, Any] | None,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    units = await _units(user)
    year = int(values.get("year") or today_in_china().year + 1)
    demand = await _demand_items(
        user, year, values.get("unit_id") or (units[0]["id"] if len(units) == 1 else None)
    )
    return render(
        request,
        "projects/form.html",
        user,
        status,
        title="修改项目" if project else "新建项目",
        project=project,
        values=values,
        units=units,
        demand=demand,
        errors=errors or {},
        error=error,
    )


def _values_of(project: dict[str, Any]) -> dict[str, Any]:
    facts = project.get("facts") or {}
    return {
        "name": project["name"],
        "unit_id": project["unit_id"],
        "year": project["year"],
        "description": project.get("description") or "",
        "demand_item_id": project.get("demand_item_id") or "",
        **facts,
    }


def _values_of_form(form: Any) -> dict[str, Any]:
    values = {k: form.get(k) for k in form}
    values["service_types"] = form.getlist("service_types")
    for flag in ("uses_crypto", "new_fiscal_funds", "mandated", "classified"):
        values[flag] = form.get(flag) == "on"
    return values


@router.get("/projects/new", response_class=HTMLResponse)
async def new_project(
    request: Request, user: CurrentUser, year: int | None = None, unit_id: str = ""
) -> HTMLResponse:
    user.require("unit_officer")
    values: dict[str, Any] = {
        "year": year or today_in_china().year + 1,
        "unit_id": unit_id,
        "funding": "fiscal",
        "service_types": [],
    }
    return await _form_page(request, user, project=None, values=values)


@router.get("/projects/demand-options", response_class=HTMLResponse)
async def demand_options(
    request: Request, user: CurrentUser, year: int = 0, unit_id: str = "", demand_item_id: str = ""
) -> HTMLResponse:
    """The plan items a project may claim, refreshed when year or unit changes (htmx)."""
    user.require("unit_officer")
    items = await _demand_items(user, year, unit_id or None) if 2000 <= year <= 2100 else []
    return render(
        request,
        "projects/_demand.html",
        user,
        demand=items,
        values={"demand_item_id": demand_item_id, "year": year},
    )


async def _save(
    request: Request,
    user: User,
    *,
    project: dict[str, Any] | None,
    form: FormData,
    act: Callable[[dict[str, Any]], Awaitable[str]],
) -> Response:
    """``act(body)`` with the form's registry body, then to the page it names (303).

    A form the console refuses comes back with its fields' messages (422); a
    service's refusal with its message; a 401 goes on to the login.
    """
    values = _values_of_form(form)
    try:
        then = await act(project_payload(form))
    except FormErrors as exc:
        return await _form_page(
            request,
            user,
            project=project,
            values=values,
            errors=exc.errors,
            error=exc.summary,
            status=422,
        )
    except ApiError as exc:
        if exc.status == 401:
            raise
        return await _form_page(
            request, user, project=project, values=values, error=exc.message, status=exc.status
        )
    return RedirectResponse(then, status_code=303)


@router.post("/projects/new", response_class=HTMLResponse)
async def create_project(request: Request, user: CurrentUser) -> Response:
    user.require("unit_officer")

    async def create(body: dict[str, Any]) -> str:
        created = await user.api.post("registry", "/v1/projects", body)
        return f"/projects/{created['id']}?notice=created"

    return await _save(request, user, project=None, form=await request.form(), act=create)


@router.get("/projects/{project_id}/edit", response_class=HTMLResponse)
async def edit_project(request: Request, user: CurrentUser, project_id: str) -> HTMLResponse:
    user.require("unit_officer")
    project = await user.api.get("registry", f"/v1/projects/{project_id}")
    if project["state"] != "draft":
        return render(
            request,
            "error.html",
            user,
            409,
            title="不能修改",
            message=f"项目已{project['state_label']}，只有草稿可以修改；如需调整请提出变更申请。",
        )
    return await _form_page(request, user, project=project, values=_values_of(project))


@router.post("/projects/{project_id}/edit", response_class=HTMLResponse)
async def update_project(request: Request, user: CurrentUser, project_id: str) -> Response:
    user.require("unit_officer")
    project = await user.api.get("registry", f"/v1/projects/{project_id}")
    form = await request.form()
    version = str(form.get("version") or "")

    async def update(body: dict[str, Any]) -> str:
        await user.api.patch(
            "registry",
            f"/v1/projects/{project_id}",
            body,
            version=int(version) if version.isdigit() else None,
        )
        return f"/projects/{project_id}?notice=saved"

    return await _save(request, user, project=project, form=form, act=update)


@router.post("/projects/{project_id}/submit", response_class=HTMLResponse)
async def submit_project(request: Request, user: CurrentUser, project_id: str) -> Response:
    user.require("unit_officer")
    form = await request.form()
    key = str(form.get("idempotency_key") or "") or None
    # Left empty, the registry takes today; a later date is the registry's to refuse.
    on = str(form.get("submitted_on") or "").strip()
    try:
        await user.api.post(
            "registry",
            f"/v1/projects/{project_id}/submit",
            {"submitted_on": on} if on else None,
            key=key,
        )
    except ApiError as exc:
        if exc.status == 401:
            raise
        return await project_page(request, user, project_id, error=exc.message, status=exc.status)
    return RedirectResponse(f"/projects/{project_id}?notice=submitted", status_code=303)


NOTICES = {
    "created": "项目草稿已保存。核对后可以申报。",
    "saved": "修改已保存。",
    "submitted": "已申报，正在按政策包判定……",
    "change": "变更申请已提交。",
    "opinion": "意见已提交。",
    "procurement": "已启动采购。",
    "contract": "合同已登记。",
    "completion": "已申报项目建成，验收期限开始计算。",
    "review": "已申请验收前置审核。",
    "evidence": "证明文件已指定。",
    "review_decision": "已作出验收前置审核结论。",
    "acceptance": "验收结果已记录。",
    "operation": "系统已投入使用。",
    "evaluation": "评价已提交。",
    **FUNDS_NOTICES,
    "terminated": "项目已终止。",
    "extension": "延期申请已提交，待项目审批部门审批。",
    "extension_decided": "延期申请已审批。",
    "system_registered": "系统已登记入政务信息系统目录。",
    "system_operating": "系统已投入运行。",
    "exception": "例外已决定，申报后的判定将据此放宽。",
}
# From approval on (libs/vocab's order, less the refusals), up to its evaluation,
# the project page offers the next implementation or acceptance step.
_STATES = tuple(STATE_LABELS)
LIFECYCLE_STATES = tuple(
    s
    for s in _STATES[_STATES.index("approved") : _STATES.index("evaluated") + 1]
    if s not in ("rejected", "out_of_scope")
)


async def _decision(user: User, project: dict[str, Any]) -> dict[str, Any] | None:
    if project["state"] in ("draft", "submitted") and not project.get("decision"):
        return None
    try:
        found: dict[str, Any] = await user.api.get(
            "approval", f"/v1/projects/{project['id']}/decision"
        )
    except ApiError as exc:
        if exc.status == 404:
            return None
        raise
    return found


async def _optional(user: User, service: str, path: str, **params: Any) -> Any:
    """What a service may not have for this project (none yet, or an API not deployed): None."""
    try:
        return await user.api.get(service, path, **params)
    except ApiError as exc:
        if exc.status in (404, 405, 409, 501):
            return None
        raise


# The project page's tabs (server-side, ?tab=): each loads only what it shows.
TABS = PROJECT_TABS
# After an action, the tab that shows its result (and the next step).
NOTICE_TABS = {
    "procurement": "implementation",
    "contract": "implementation",
    "completion": "acceptance",
    "review": "acceptance",
    "evidence": "acceptance",
    "review_decision": "acceptance",
    "acceptance": "acceptance",
    "operation": "acceptance",
    "evaluation": "acceptance",
    "opinion": "workflow",
    "terminated": "overview",
    "extension": "acceptance",
    "extension_decided": "acceptance",
    "system_registered": "acceptance",
    "system_operating": "acceptance",
    "exception": "decision",
    **{code: "budget" for code in FUNDS_NOTICES},
}
# A refused form of another page module is shown again on its tab (by its address).
# (POST /catalog comes back here only for a system registered from the project's 验收 tab.)
PATH_TABS = {
    "/funds/": "budget",
    "/extensions": "acceptance",
    "/exceptions": "decision",
    "/catalog": "acceptance",
}
# The project states an action leads to. The registry learns of them from the owning
# service's events a moment later; the page waits for that so its badge is not stale.
SETTLED_STATES = {
    "procurement": ("procuring", "implementing"),
    "contract": ("implementing", "completed"),
    "completion": ("completed", "acceptance_review"),
    "review": ("acceptance_review",),
    # A failed acceptance leaves the state as it was: the page then waits its ~5 s out.
    "acceptance": ("accepted", "in_operation", "evaluated"),
    "operation": ("in_operation", "evaluated"),
    "evaluation": ("evaluated",),
}
# From 建成 on, the next steps are the acceptance's (验收 tab); before, implementation's.
IMPLEMENTATION_STATES = ("approved", "filed", "procuring", "implementing")


def tab_of(path: str, tab: str | None, notice: str | None) -> str:
    """The tab to show: the one asked for, else the one of the action just done or posted."""
    if tab in TABS:
        return tab
    if notice in NOTICE_TABS:
        return NOTICE_TABS[notice]
    # A refused form is shown again on the tab it was on (建成 is declared on 实施).
    for part, shown in PATH_TABS.items():
        if part in path:
            return shown
    action = path.rsplit("/actions/", 1)[1] if "/actions/" in path else ""
    return "implementation" if action == "completion" else NOTICE_TABS.get(action, "overview")


async def _settled(user: User, project_id: str, notice: str | None) -> dict[str, Any]:
    """The project, once the registry shows the state the action led to (at most ~5 s)."""
    project: dict[str, Any] = await user.api.get("registry", f"/v1/projects/{project_id}")
    expected = SETTLED_STATES.get(notice or "")
    for _ in range(25):
        if not expected or project["state"] in expected:
            break
        await asyncio.sleep(0.2)
        project = await user.api.get("registry", f"/v1/projects/{project_id}")
    return project


async def _unit_name(user: User, unit_id: str) -> str:
    unit, _ = await answer_or_message(user.api.get("registry", f"/v1/units/{unit_id}"), None)
    return str(unit["name"]) if unit is not None else "（单位信息暂不可读）"


async def _documents(user: User, project_id: str) -> list[dict[str, Any]]:
    docs: list[dict[str, Any]]
    docs, _ = await answer_or_message(
        user.api.get("archive", "/v1/documents", project_id=project_id, limit=200), []
    )
    return docs


async def project_page(
    request: Request,
    user: User,
    project_id: str,
    *,
    error: str | None = None,
    status: int = 200,
    notice: str | None = None,
    values: dict[str, Any] | None = None,
    tab: str | None = None,
    notice_code: str | None = None,
    **extra: Any,
) -> HTMLResponse:
    """The project's page; ``extra`` goes to the template (a section's own error, e.g. funds)."""
    user.require(*READERS)
    tab = tab_of(request.url.path, tab, notice_code)
    project = await _settled(user, project_id, notice_code)
    state = project["state"]
    changes_open = state not in CLOSED_TO_CHANGES
    lifecycle = state in LIFECYCLE_STATES
    before_acceptance = ("draft", "submitted", "under_review", "rejected", "out_of_scope")
    shown: dict[str, Any] = {}
    if tab == "overview":
        shown["unit_name"] = await _unit_name(user, project["unit_id"])
        if changes_open:
            shown["changes"] = await _optional(
                user, "approval", f"/v1/projects/{project_id}/changes"
            )
    elif tab == "decision":
        shown["decision"] = await _decision(user, project)
    elif tab == "workflow":
        shown["workflow"] = await _optional(user, "approval", f"/v1/projects/{project_id}/workflow")
    elif tab == "budget":
        # Budget and acceptance learn of a project from events: absent until then (404 → None).
        shown["budget"] = await _optional(user, "budget", f"/v1/projects/{project_id}/budget")
        # A line of new fiscal funds names the finance opinion: a project file (archive).
        shown["docs"] = await _documents(user, project_id)
    elif tab in ("implementation", "acceptance"):
        if state not in before_acceptance:
            shown["acceptance"] = await _optional(
                user, "acceptance", f"/v1/projects/{project_id}/acceptance"
            )
        if lifecycle:
            shown["docs"] = await _documents(user, project_id)
    elif tab == "archive":
        shown["unit_name"] = await _unit_name(user, project["unit_id"])
    elif tab == "history":
        shown["history"] = await user.api.get("registry", f"/v1/projects/{project_id}/history")
    crumbs: list[Crumb] = [("项目", "/projects"), (project["name"], f"/projects/{project_id}")]
    if tab != "overview":
        crumbs.append((TABS[tab], None))
    else:
        crumbs[-1] = (project["name"], None)
    return render(
        request,
        "projects/detail.html",
        user,
        status,
        title=project["name"],
        crumbs=crumbs,
        project=project,
        tab=tab,
        TABS=TABS,
        error=error,
        notice=notice,
        today=today_in_china(),
        changes_open=changes_open,
        lifecycle=lifecycle,
        implementation_state=state in IMPLEMENTATION_STATES,
        form_key=str(uuid.uuid4()),
        v=values or {},
        idempotency_key=f"submit-{project_id}-{project['submission'] + 1}",
        doc_date=today_in_china().isoformat(),
        **{"unit_name": "", "decision": None, "workflow": None, "budget": None,
           "acceptance": None, "changes": None, "docs": [], "history": [], **shown,
           **extra},
    )  # fmt: skip


@router.get("/projects/{project_id}", response_class=HTMLResponse)
async def show_project(
    request: Request, user: CurrentUser, project_id: str, notice: str = "", tab: str = ""
) -> HTMLResponse:
    return await project_page(
        request, user, project_id, notice=NOTICES.get(notice), tab=tab, notice_code=notice
    )


@router.get("/projects/{project_id}/status", response_class=HTMLResponse)
async def project_status(request: Request, user: CurrentUser, project_id: str) -> Response:
    """The decision panel alone, polled (htmx) while the approval service decides."""
    user.require(*READERS)
    project = await user.api.get("registry", f"/v1/projects/{project_id}")
    if project["state"] != "submitted":
        # Decided: load the whole page again so every section follows the new state.
        return Response(
            status_code=200, headers={"HX-Redirect": f"/projects/{project_id}?tab=decision"}
        )
    return render(request, "projects/_pending.html", user, project=project)


@router.post("/projects/{project_id}/changes", response_class=HTMLResponse)
async def file_change(request: Request, user: CurrentUser, project_id: str) -> Response:
    """A change request (调整/变更) runs beside the project (approval POST /v1/projects/{id}/changes)."""
    user.require("unit_officer")
    form = await request.form()
    reason = str(form.get("reason") or "").strip()
    kind = str(form.get("kind") or "")
    if kind not in CHANGE_KINDS:
        return await project_page(request, user, project_id, error="请选择变更类型", status=422)
    if not reason:
        return await project_page(
            request, user, project_id, error="请填写变更内容和理由", status=422
        )
    body: dict[str, Any] = {"kind": kind, "reason": reason}
    for field, label in (("adjustment_amount", "资金调整数额"), ("new_total", "调整后总金额")):
        raw = str(form.get(field) or "").strip()
        if raw:
            try:
                body[field] = parse_amount(raw, field=label)
            except AmountError as exc:
                return await project_page(request, user, project_id, error=exc.message, status=422)
    if kind == "adjustment" and not body.get("adjustment_amount"):
        return await project_page(
            request,
            user,
            project_id,
            error="调整须填写大于零的资金调整数额（例如“5万”）",
            status=422,
        )
    try:
        await user.api.post("approval", f"/v1/projects/{project_id}/changes", body)
    except ApiError as exc:
        if exc.status == 401:
            raise
        return await project_page(request, user, project_id, error=exc.message, status=exc.status)
    return RedirectResponse(f"/projects/{project_id}?notice=change", status_code=303)
