"""Project routes: /v1/projects (create, edit while draft, submit, terminate, list, history)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query

from libs.common.auth import Scope
from libs.common.errors import Invalid
from libs.common.http import parse_if_match, problem_responses
from libs.common.policies import Policies
from libs.common.routes import IF_MATCH_RESPONSES, PageLimit, VersionedRows
from libs.common.service import DbReads, DbSession, actor_of
from libs.vocab import ROUTES
from services.registry.deps import BureauDecider, Idem, ProjectWriter, Reader
from services.registry.projects import lifecycle, repository, service
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
PROJECTS = VersionedRows(ProjectRead, repository, service.read, what="项目")


@router.get(
    "/lifecycle",
    response_model=list[TransitionRead],
    summary="项目生命周期：允许的状态转换及驱动它们的事件",
    responses=PROBLEMS,
)
async def list_transitions(access: Reader) -> list[dict[str, Any]]:
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
    body: ProjectCreate,
    policies: Policies,
    session: DbSession,
    access: ProjectWriter,
    idem: Idem,
) -> Any:
    if (replay := await idem.claim()) is not None:
        return replay
    tenant = PROJECTS.creatable(access, unit_id=body.unit_id, name=body.name)
    project = await service.create_project(
        session, policies=policies, tenant=tenant, body=body, actor=actor_of(access.subject)
    )
    return await PROJECTS.answer(
        session, project, idem=idem, status=201, location=f"/v1/projects/{project.id}"
    )


@router.get(
    "/projects",
    response_model=ProjectPage,
    summary="项目列表（筛选、名称搜索、游标分页）",
    responses=PROBLEMS,
)
async def list_projects(
    access: Reader,
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
    cursor: Annotated[str | None, Query(max_length=1200)] = None,
    limit: PageLimit = 50,
    sort: Annotated[
        str,
        Query(
            max_length=20,
            description="排序：created、name、amount、year，前加 - 为降序（默认 -created）",
        ),
    ] = repository.DEFAULT_SORT,
) -> dict[str, Any]:
    if state is not None and state not in lifecycle.STATES:
        raise Invalid("state", f"未知的项目状态 {state!r}")
    if route is not None and route not in ROUTES:
        raise Invalid("route", f"未知的管理方式 {route!r}")
    rows, next_cursor = await repository.list_(
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
        sort=sort,
    )
    links = await repository.links_of(session, [p.id for p in rows])
    return {"items": [service.to_read(p, links[p.id]) for p in rows], "next_cursor": next_cursor}


@router.get(
    "/projects/{project_id}", response_model=ProjectRead, summary="查看项目", responses=PROBLEMS
)
async def get_project(project_id: uuid.UUID, access: Reader, reads: DbReads) -> Any:
    # With its links, one statement on a pooled connection (no session).
    return await PROJECTS.answer_read(
        reads, access, repository.READ, project_id, state_label=_state_label
    )


def _state_label(project: Mapping[str, Any]) -> str:
    return lifecycle.label(project["state"])


@router.patch(
    "/projects/{project_id}",
    response_model=ProjectRead,
    summary="修改草稿（须带 If-Match）",
    responses={**PROBLEMS, **IF_MATCH_RESPONSES},
)
async def update_project(
    project_id: uuid.UUID,
    body: ProjectUpdate,
    policies: Policies,
    session: DbSession,
    access: ProjectWriter,
    if_match: Annotated[str | None, Header()] = None,
) -> Any:
    expected = parse_if_match(if_match, required=True)
    project = await PROJECTS.writable(session, access, project_id)
    if body.unit_id is not None:
        # Moving a project to another unit is acting for that unit too.
        access.check(
            Scope(
                tenant=project.tenant_id, unit_id=str(body.unit_id), what="项目", name=project.name
            )
        )
    changes = body.model_dump(exclude_unset=True, exclude={"systems"})
    if body.contacts is not None:
        changes["contacts"] = [c.model_dump(mode="json") for c in body.contacts]
    if body.schedule is not None:
        changes["schedule"] = body.schedule.model_dump(mode="json")
    project = await service.update_project(
        session,
        policies=policies,
        project=project,
        changes=changes,
        links=body.systems,
        expected_version=expected,
        actor=actor_of(access.subject),
    )
    return await PROJECTS.answer(session, project)


@router.post(
    "/projects/{project_id}/submit",
    response_model=ProjectRead,
    summary="申报（提交政策判定）",
    responses={**PROBLEMS, 412: {"description": "版本不一致"}},
)
async def submit_project(
    project_id: uuid.UUID,
    session: DbSession,
    access: ProjectWriter,
    idem: Idem,
    body: ProjectSubmit | None = None,
    if_match: Annotated[str | None, Header()] = None,
) -> Any:
    if (replay := await idem.claim()) is not None:
        return replay
    expected = parse_if_match(if_match)
    project = await PROJECTS.writable(session, access, project_id)
    project = await service.submit_project(
        session,
        project=project,
        submitted_on=body.submitted_on if body else None,
        expected_version=expected,
        actor=actor_of(access.subject),
    )
    return await PROJECTS.answer(session, project, idem=idem)


@router.post(
    "/projects/{project_id}/terminate",
    response_model=ProjectRead,
    summary="终止项目（政务服务数据管理部门）",
    responses=PROBLEMS,
)
async def terminate_project(
    project_id: uuid.UUID,
    body: ProjectTerminate,
    session: DbSession,
    access: BureauDecider,
    idem: Idem,
) -> Any:
    return await PROJECTS.command(
        session,
        access,
        idem,
        project_id,
        lambda project, actor: service.terminate_project(
            session, project=project, reason=body.reason, actor=actor
        ),
    )


@router.get(
    "/projects/{project_id}/history",
    response_model=list[HistoryRead],
    summary="项目状态变更记录（谁、何时、为何、由哪个事件）",
    responses=PROBLEMS,
)
async def project_history(project_id: uuid.UUID, access: Reader, session: DbSession) -> list[Any]:
    await PROJECTS.readable(session, access, project_id)
    return list(await repository.history(session, project_id))
