"""Project routes: /v1/projects (create, edit while draft, submit, terminate, list, history)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import JSONResponse

from libs.common.auth import AuthSubject, CurrentSubject, require_roles
from libs.common.errors import Problem
from libs.common.http import etag, parse_if_match, problem_responses
from libs.common.service import DbSession, actor_of
from services.registry import lifecycle
from services.registry.deps import Idem, Writer
from services.registry.models import Project
from services.registry.policy import policies_of
from services.registry.projects import service
from services.registry.projects.schemas import (
    HistoryRead,
    ProjectCreate,
    ProjectPage,
    ProjectRead,
    ProjectSubmit,
    ProjectTerminate,
    ProjectUpdate,
    TransitionRead,
)

router = APIRouter(prefix="/v1", tags=["projects"])

PROBLEMS = problem_responses(s409="当前状态不允许此操作")
Bureau = Annotated[AuthSubject, Depends(require_roles("bureau_officer"))]


def _respond(
    status: int, body: dict[str, Any], version: int, location: str | None = None
) -> JSONResponse:
    headers = {"ETag": etag(version)}
    if location:
        headers["Location"] = location
    return JSONResponse(body, status_code=status, headers=headers)


async def _body(session: DbSession, project: Project) -> dict[str, Any]:
    read = ProjectRead.model_validate(await service.read(session, project))
    out: dict[str, Any] = read.model_dump(mode="json")
    return out


@router.get(
    "/lifecycle",
    response_model=list[TransitionRead],
    summary="项目生命周期：允许的状态转换及驱动它们的事件",
    responses=PROBLEMS,
)
async def list_transitions(subject: CurrentSubject) -> list[dict[str, Any]]:
    return [
        {"source": t.source, "target": t.target, "trigger": t.trigger, "routes": sorted(t.routes)}
        for t in lifecycle.TRANSITIONS
    ]


@router.post(
    "/projects",
    response_model=ProjectRead,
    status_code=201,
    summary="新建项目（草稿）",
    responses=PROBLEMS,
)
async def create_project(
    body: ProjectCreate, request: Request, session: DbSession, subject: Writer, idem: Idem
) -> Any:
    if (replay := await idem.claim()) is not None:
        return replay
    service.check_unit(subject, body.unit_id)
    project = await service.create_project(
        session,
        policies=policies_of(request),
        tenant=subject.tenant,
        body=body,
        actor=actor_of(subject),
    )
    out = await _body(session, project)
    location = f"/v1/projects/{project.id}"
    await idem.save(201, out, location=location)
    return _respond(201, out, project.version, location)


@router.get(
    "/projects",
    response_model=ProjectPage,
    summary="项目列表（筛选、名称搜索、游标分页）",
    responses=PROBLEMS,
)
async def list_projects(
    subject: CurrentSubject,
    session: DbSession,
    tenant: Annotated[
        str | None, Query(pattern=r"^[0-9]{6}$", description="辖区（上级主管部门可选下级）")
    ] = None,
    state: Annotated[str | None, Query(description="生命周期状态")] = None,
    route: Annotated[str | None, Query(description="管理方式（route）")] = None,
    unit_id: Annotated[uuid.UUID | None, Query()] = None,
    amount_min: Annotated[int | None, Query(ge=0)] = None,
    amount_max: Annotated[int | None, Query(ge=0)] = None,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    q: Annotated[
        str | None, Query(min_length=1, max_length=100, description="项目名称包含")
    ] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    if state is not None and state not in lifecycle.STATES:
        raise Problem.invalid("state", f"未知的项目状态 {state!r}")
    if route is not None and route not in ROUTES:
        raise Problem.invalid("route", f"未知的管理方式 {route!r}")
    rows, next_cursor = await service.list_projects(
        session,
        tenant=tenant,
        state=state,
        route=route,
        unit_id=unit_id,
        amount_min=amount_min,
        amount_max=amount_max,
        year=year,
        q=q,
        cursor=cursor,
        limit=limit,
    )
    links = await service.links_of(session, [p.id for p in rows])
    return {"items": [service.to_read(p, links[p.id]) for p in rows], "next_cursor": next_cursor}


ROUTES = frozenset(
    {
        "approval",
        "filing",
        "self_managed",
        "out_of_scope",
        "government_investment",
        "classified_rules",
        "ineligible",
    }
)


@router.get(
    "/projects/{project_id}", response_model=ProjectRead, summary="查看项目", responses=PROBLEMS
)
async def get_project(
    project_id: uuid.UUID, response: Response, subject: CurrentSubject, session: DbSession
) -> Any:
    project = await session.get(Project, project_id)
    if project is None:
        raise Problem.not_found("项目", project_id)
    return _respond(200, await _body(session, project), project.version)


@router.patch(
    "/projects/{project_id}",
    response_model=ProjectRead,
    summary="修改草稿（须带 If-Match）",
    responses={
        **PROBLEMS,
        412: {"description": "版本不一致"},
        428: {"description": "缺少 If-Match"},
    },
)
async def update_project(
    project_id: uuid.UUID,
    body: ProjectUpdate,
    request: Request,
    session: DbSession,
    subject: Writer,
    if_match: Annotated[str | None, Header()] = None,
) -> Any:
    expected = parse_if_match(if_match, required=True)
    project = await service.writable(
        session, project_id=project_id, tenant=subject.tenant, subject=subject
    )
    changes = body.model_dump(exclude_unset=True, exclude={"systems"})
    if body.unit_id is not None:
        service.check_unit(subject, body.unit_id)
    for key in ("name", "unit_id", "year", "facts", "contacts", "schedule", "uncatalogued_systems"):
        if key in changes and changes[key] is None:
            raise Problem.invalid(key, "不能为空")
    if body.contacts is not None:
        changes["contacts"] = [c.model_dump(mode="json") for c in body.contacts]
    if body.schedule is not None:
        changes["schedule"] = body.schedule.model_dump(mode="json")
    project = await service.update_project(
        session,
        policies=policies_of(request),
        project=project,
        changes=changes,
        links=body.systems,
        expected_version=expected,
        actor=actor_of(subject),
    )
    return _respond(200, await _body(session, project), project.version)


@router.post(
    "/projects/{project_id}/submit",
    response_model=ProjectRead,
    summary="申报（提交政策判定）",
    responses={**PROBLEMS, 412: {"description": "版本不一致"}},
)
async def submit_project(
    project_id: uuid.UUID,
    session: DbSession,
    subject: Writer,
    idem: Idem,
    body: ProjectSubmit | None = None,
    if_match: Annotated[str | None, Header()] = None,
) -> Any:
    if (replay := await idem.claim()) is not None:
        return replay
    expected = parse_if_match(if_match)
    project = await service.writable(
        session, project_id=project_id, tenant=subject.tenant, subject=subject
    )
    service.check_version(project, expected)
    project = await service.submit_project(
        session,
        project=project,
        submitted_on=body.submitted_on if body else None,
        actor=actor_of(subject),
    )
    out = await _body(session, project)
    await idem.save(200, out)
    return _respond(200, out, project.version)


@router.post(
    "/projects/{project_id}/terminate",
    response_model=ProjectRead,
    summary="终止项目（政务服务数据管理部门）",
    responses=PROBLEMS,
)
async def terminate_project(
    project_id: uuid.UUID, body: ProjectTerminate, session: DbSession, subject: Bureau, idem: Idem
) -> Any:
    if (replay := await idem.claim()) is not None:
        return replay
    project = await service.writable(
        session, project_id=project_id, tenant=subject.tenant, subject=subject
    )
    project = await service.terminate_project(
        session, project=project, reason=body.reason, actor=actor_of(subject)
    )
    out = await _body(session, project)
    await idem.save(200, out)
    return _respond(200, out, project.version)


@router.get(
    "/projects/{project_id}/history",
    response_model=list[HistoryRead],
    summary="项目状态变更记录（谁、何时、为何、由哪个事件）",
    responses=PROBLEMS,
)
async def project_history(
    project_id: uuid.UUID, subject: CurrentSubject, session: DbSession
) -> list[Any]:
    if await session.get(Project, project_id) is None:
        raise Problem.not_found("项目", project_id)
    return list(await service.history(session, project_id))
