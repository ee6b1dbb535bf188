"""政务信息系统目录: register, edit, put into operation, decommission (registry /v1/systems).

Every change goes through the registry with the person's token; the console
checks the form first and redirects after each change (POST-redirect-GET), so
the page shown after an action is the system as the registry now has it.
Decommissioning records what became of the data and the archived proof
(莱政办发〔2022〕6号 第三十八条: 备份、迁移或销毁).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from libs.vocab import CATALOG_SORTS, DISPOSITIONS, FORM_FIELDS, SYSTEM_FACTS
from services.portal.client import answer_or_message
from services.portal.pages.forms import (
    NOTHING,
    Invalid,
    Shown,
    choice,
    drawn_version,
    flag,
    form_key,
    new_key,
    post_redirect_get,
    redraw,
    text,
)
from services.portal.pages.projects import project_page
from services.portal.paging import FIRST_PAGE, PagedList, PageQuery, Paging
from services.portal.web import CurrentUser, User, render

router = APIRouter(include_in_schema=False)

CATALOG_READERS = ("bureau_officer", "unit_officer", "overseer")
KEEPERS = ("bureau_officer", "unit_officer")
# The archive documents that may prove a disposal (registry catalog.service.EVIDENCE_DOC_TYPES).
EVIDENCE_TYPES = ("other", "supervision_report", "acceptance_report", "security_assessment_report")
NOTICES = {
    "updated": "修改已保存。",
    "operating": "系统已投入运行。",
    "decommissioned": "系统已停用，数据处置及其证明已记录。",
}


def _system_body(form: FormData) -> dict[str, Any]:
    """The registry's SystemCreate from the form (facts as checkboxes)."""
    name = text(form, "name", "系统名称")
    if name and len(name) > 200:
        raise Invalid("系统名称不能超过200个字")
    body: dict[str, Any] = {
        "name": name,
        "unit_id": text(form, "unit_id", "主管（使用）单位"),
        "state": choice(form, "state", "状态", ("planned", "in_operation")),
        "description": text(form, "description", "说明", required=False),
    }
    body.update({fact: flag(form, fact) for fact in SYSTEM_FACTS})
    return body


CATALOG_PAGE_SIZE = 50
SYSTEMS = PagedList(
    "registry", "/v1/systems", CATALOG_SORTS, default="name", size=CATALOG_PAGE_SIZE
)


async def _catalog_page(
    request: Request,
    user: User,
    shown: Shown = NOTHING,
    *,
    state: str = "",
    registered: str = "",
    at: PageQuery = FIRST_PAGE,
) -> HTMLResponse:
    user.require(*CATALOG_READERS)
    systems, paged = await SYSTEMS.fetch(user.api, at, state=state)
    # After a registration (POST-redirect-GET) the list names the system just added.
    new = next((s for s in systems if s["id"] == registered), None)
    if new is not None:
        shown = Shown(notice=f"系统“{new['name']}”已登记。")
    units = await user.api.get("registry", "/v1/units", tenant=user.tenant)
    return render(
        request,
        "catalog.html",
        user,
        shown.status,
        title="政务信息系统目录",
        systems=systems,
        units=units,
        unit_names={u["id"]: u["name"] for u in units},
        state=state,
        SORTABLE=CATALOG_SORTS,
        **paged,
        **shown.context(),
    )


@router.get("/catalog", response_class=HTMLResponse)
async def catalog(
    request: Request, user: CurrentUser, at: Paging, state: str = "", registered: str = ""
) -> HTMLResponse:
    return await _catalog_page(request, user, state=state, registered=registered, at=at)


def _back_to_project(raw: object) -> str | None:
    # A system registered from a project's page returns there (our own paths only).
    value = str(raw or "")
    return value if value.startswith("/projects/") and "//" not in value else None


@router.post("/catalog", response_class=HTMLResponse)
async def register_system(request: Request, user: CurrentUser) -> Response:
    user.require(*KEEPERS)
    form = await request.form()
    back = _back_to_project(form.get("return_to"))
    created: dict[str, Any] = {}

    async def act() -> None:
        body = _system_body(form)
        created.update(await user.api.post("registry", "/v1/systems", body, key=form_key(form)))

    async def again(message: str, status: int) -> Response:
        if back:
            pid = back.removeprefix("/projects/")
            return await project_page(
                request, user, pid, error=message, status=status, values=dict(form)
            )
        return await _catalog_page(request, user, Shown(message, status=status, values=dict(form)))

    response = await post_redirect_get(
        act, then="/catalog", again=again, fields=FORM_FIELDS["system"]
    )
    if response.status_code == 303:
        response.headers["location"] = (
            f"{back}?notice=system_registered" if back else f"/catalog?registered={created['id']}"
        )
    return response


async def system_page(
    request: Request,
    user: User,
    system_id: str,
    shown: Shown = NOTHING,
) -> HTMLResponse:
    user.require(*CATALOG_READERS)
    system = await user.api.get("registry", f"/v1/systems/{system_id}")

    # The registry names the linked projects in the same read (one call, not one per project).
    projects = system["projects"]
    unit, _ = await answer_or_message(
        user.api.get("registry", f"/v1/units/{system['unit_id']}"), None
    )
    unit_name = unit["name"] if unit is not None else None
    evidence: list[dict[str, Any]] = []
    if system["state"] != "decommissioned" and user.has(*KEEPERS):
        docs = await user.api.get("archive", "/v1/documents", limit=500)
        evidence = [d for d in docs if d.get("doc_type") in EVIDENCE_TYPES]
    return render(
        request,
        "catalog/system.html",
        user,
        shown.status,
        title=system["name"],
        system=system,
        unit_name=unit_name,
        projects=projects,
        evidence=evidence,
        **shown.context(),
    )


@router.get("/catalog/{system_id}", response_class=HTMLResponse)
async def show_system(
    request: Request, user: CurrentUser, system_id: str, notice: str = ""
) -> HTMLResponse:
    return await system_page(request, user, system_id, Shown(notice=NOTICES.get(notice)))


async def _on_system_page(
    request: Request,
    user: User,
    system_id: str,
    form: FormData,
    act: Callable[[], Awaitable[Any]],
    *,
    then: str,
) -> Response:
    """``act``, then ``then``; a refusal is shown on the system's page, the form kept."""
    again = redraw(system_page, request, user, system_id, form=form)
    return await post_redirect_get(act, then=then, again=again, fields=FORM_FIELDS["system"])


@router.post("/catalog/{system_id}", response_class=HTMLResponse)
async def update_system(request: Request, user: CurrentUser, system_id: str) -> Response:
    """修改系统事实 (registry PATCH, If-Match: a change made meanwhile is not overwritten)."""
    user.require(*KEEPERS)
    form = await request.form()

    async def act() -> None:
        version = drawn_version(form)
        body: dict[str, Any] = {
            "name": text(form, "name", "系统名称"),
            "description": text(form, "description", "说明", required=False),
        }
        body.update({fact: flag(form, fact) for fact in SYSTEM_FACTS})
        await user.api.patch("registry", f"/v1/systems/{system_id}", body, version=version)

    then = f"/catalog/{system_id}?notice=updated"
    return await _on_system_page(request, user, system_id, form, act, then=then)


@router.post("/catalog/{system_id}/operate", response_class=HTMLResponse)
async def operate(request: Request, user: CurrentUser, system_id: str) -> Response:
    """投入运行 (registry POST /v1/systems/{id}/operate)."""
    user.require(*KEEPERS)
    form = await request.form()
    back = _back_to_project(form.get("return_to"))

    async def act() -> None:
        await user.api.post(
            "registry",
            f"/v1/systems/{system_id}/operate",
            None,
            key=form_key(form),
        )

    then = f"{back}?notice=system_operating" if back else f"/catalog/{system_id}?notice=operating"
    return await _on_system_page(request, user, system_id, form, act, then=then)


@router.post("/catalog/{system_id}/decommission", response_class=HTMLResponse)
async def decommission(request: Request, user: CurrentUser, system_id: str) -> Response:
    """停用: the data's disposition and the archived proof (莱州 第三十八条)."""
    user.require(*KEEPERS)
    form = await request.form()

    async def act() -> None:
        body = {
            "disposition": choice(
                form, "disposition", "数据处置方式（备份、迁移或销毁）", DISPOSITIONS
            ),
            "evidence_document_id": text(
                form, "evidence_document_id", "处置证明（电子档案中的文件）"
            ),
            "reason": text(form, "reason", "停用原因"),
        }
        await user.api.post(
            "registry",
            f"/v1/systems/{system_id}/decommission",
            body,
            key=form_key(form),
        )

    then = f"/catalog/{system_id}?notice=decommissioned"
    return await _on_system_page(request, user, system_id, form, act, then=then)


@router.get("/projects/{project_id}/systems", response_class=HTMLResponse)
async def project_systems(request: Request, user: CurrentUser, project_id: str) -> HTMLResponse:
    """The systems a project built, offered for registration or update once it goes into use."""
    user.require(*CATALOG_READERS)
    project = await user.api.get("registry", f"/v1/projects/{project_id}")
    linked = {str(link["system_id"]) for link in project.get("systems") or []}
    systems = await user.api.get("registry", "/v1/systems", unit_id=project["unit_id"])
    return render(
        request,
        "catalog/_project_systems.html",
        user,
        project=project,
        systems=[s for s in systems if s["id"] in linked or s["state"] != "decommissioned"],
        linked=linked,
        form_key=new_key(),
    )
