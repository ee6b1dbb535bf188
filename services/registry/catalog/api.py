"""Catalog routes: /v1/systems (政务信息系统目录) and /v1/units/{id}/system-counts."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response

from libs.common.auth import Scope
from libs.common.errors import NotFound
from libs.common.http import parse_if_match, problem_responses
from libs.common.routes import (
    IF_MATCH_RESPONSES,
    Cursor,
    PageLimit,
    TenantCode,
    VersionedRows,
    paged,
)
from libs.common.service import DbSession, actor_of
from services.registry.catalog import repository, service
from services.registry.catalog.schemas import (
    SystemCreate,
    SystemDecommission,
    SystemRead,
    SystemState,
    SystemUpdate,
    UnitSystemCount,
)
from services.registry.deps import CatalogWriter, Idem, Reader
from services.registry.units import repository as units_repository

router = APIRouter(prefix="/v1", tags=["systems"])
PROBLEMS = problem_responses(s409="当前状态不允许此操作")

SYSTEMS = VersionedRows(SystemRead, repository, service.read, what="政务信息系统")


@router.post(
    "/systems",
    response_model=SystemRead,
    status_code=201,
    summary="登记政务信息系统",
    responses=PROBLEMS,
)
async def register_system(
    body: SystemCreate, session: DbSession, access: CatalogWriter, idem: Idem
) -> Any:
    if (replay := await idem.claim()) is not None:
        return replay
    tenant = SYSTEMS.creatable(access, unit_id=body.unit_id, name=body.name)
    system = await service.register(
        session, tenant=tenant, body=body, actor=actor_of(access.subject)
    )
    return await SYSTEMS.answer(
        session, system, idem=idem, status=201, location=f"/v1/systems/{system.id}"
    )


@router.get(
    "/systems",
    response_model=list[SystemRead],
    summary="政务信息系统目录（分页：下一页的游标在 X-Next-Cursor 响应头）",
    responses=PROBLEMS,
)
async def list_systems(
    access: Reader,
    session: DbSession,
    response: Response,
    tenant: TenantCode = None,
    unit_id: Annotated[uuid.UUID | None, Query()] = None,
    state: Annotated[SystemState | None, Query()] = None,
    sort: Annotated[str, Query(description="name、registered；前加 - 为降序")] = "name",
    cursor: Cursor = None,
    limit: PageLimit = 200,
) -> list[dict[str, Any]]:
    page = await repository.list_(
        session, tenant=tenant, unit_id=unit_id, state=state, sort=sort, cursor=cursor, limit=limit
    )
    return [await service.read(session, s) for s in paged(response, page)]


@router.get(
    "/systems/{system_id}",
    response_model=SystemRead,
    summary="查看政务信息系统",
    responses=PROBLEMS,
)
async def get_system(system_id: uuid.UUID, access: Reader, session: DbSession) -> Any:
    return await SYSTEMS.answer(session, await SYSTEMS.readable(session, access, system_id))


@router.patch(
    "/systems/{system_id}",
    response_model=SystemRead,
    summary="修改系统事实（须带 If-Match）",
    responses={**PROBLEMS, **IF_MATCH_RESPONSES},
)
async def update_system(
    system_id: uuid.UUID,
    body: SystemUpdate,
    session: DbSession,
    access: CatalogWriter,
    if_match: Annotated[str | None, Header()] = None,
) -> Any:
    expected = parse_if_match(if_match, required=True)
    system = await SYSTEMS.writable(session, access, system_id)
    system = await service.update(
        session,
        system=system,
        changes=body.model_dump(exclude_unset=True),
        expected_version=expected,
        actor=actor_of(access.subject),
    )
    return await SYSTEMS.answer(session, system)


@router.post(
    "/systems/{system_id}/operate",
    response_model=SystemRead,
    summary="系统投入运行",
    responses=PROBLEMS,
)
async def operate_system(
    system_id: uuid.UUID, session: DbSession, access: CatalogWriter, idem: Idem
) -> Any:
    return await SYSTEMS.command(
        session,
        access,
        idem,
        system_id,
        lambda system, actor: service.put_in_operation(session, system=system, actor=actor),
    )


@router.post(
    "/systems/{system_id}/decommission",
    response_model=SystemRead,
    summary="停用系统（数据备份、迁移或销毁及其证明）",
    responses=PROBLEMS,
)
async def decommission_system(
    system_id: uuid.UUID,
    body: SystemDecommission,
    session: DbSession,
    access: CatalogWriter,
    idem: Idem,
) -> Any:
    return await SYSTEMS.command(
        session,
        access,
        idem,
        system_id,
        lambda system, actor: service.decommission(
            session,
            system=system,
            disposition=body.disposition,
            evidence_document_id=body.evidence_document_id,
            reason=body.reason,
            actor=actor,
        ),
    )


@router.get(
    "/units/{unit_id}/system-counts",
    response_model=UnitSystemCount,
    summary="建设单位政务信息系统总量（按月，只减不增）",
    responses=PROBLEMS,
)
async def unit_system_counts(
    unit_id: uuid.UUID,
    access: Reader,
    session: DbSession,
    months: Annotated[int, Query(ge=1, le=60)] = 12,
) -> dict[str, Any]:
    unit = await units_repository.get(session, unit_id)
    if unit is None:
        raise NotFound("建设单位", unit_id)
    access.check_read(Scope(tenant=unit.tenant_id, what="建设单位", name=unit.name))
    return {
        **await service.unit_counts(session, unit_id, months=months),
        "tenant_id": unit.tenant_id,
    }
