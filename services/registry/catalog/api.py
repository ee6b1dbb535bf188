"""Catalog routes: /v1/systems (政务信息系统目录) and /v1/units/{id}/system-counts."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response
from fastapi.responses import JSONResponse

from libs.common.auth import Access, Scope
from libs.common.errors import NotFound
from libs.common.http import parse_if_match, problem_responses, versioned
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
from services.registry.models import System
from services.registry.units import repository as units_repository

router = APIRouter(prefix="/v1", tags=["systems"])
PROBLEMS = problem_responses(s409="当前状态不允许此操作")


def _scope(system: System) -> Scope:
    return Scope.of(system, what="政务信息系统")


async def _out(
    session: DbSession, system: System, status: int = 200, location: str | None = None
) -> tuple[dict[str, Any], JSONResponse]:
    body: dict[str, Any] = SystemRead.model_validate(
        await service.read(session, system)
    ).model_dump(mode="json")
    return body, versioned(body, system.version, status=status, location=location)


async def _writable(session: DbSession, access: Access, system_id: uuid.UUID) -> System:
    """The system locked for ``access``'s change: 404 invisible, 403 overseen or another unit's."""
    system = await repository.get(session, system_id)
    access.check(_scope(system))
    return await repository.lock(session, system)


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
    tenant = access.subject.tenant
    access.check(
        Scope(tenant=tenant, unit_id=str(body.unit_id), what="政务信息系统", name=body.name)
    )
    system = await service.register(
        session, tenant=tenant, body=body, actor=actor_of(access.subject)
    )
    location = f"/v1/systems/{system.id}"
    out, response = await _out(session, system, 201, location)
    await idem.save(201, out, location=location)
    return response


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
    tenant: Annotated[str | None, Query(pattern=r"^[0-9]{6}$")] = None,
    unit_id: Annotated[uuid.UUID | None, Query()] = None,
    state: Annotated[SystemState | None, Query()] = None,
    sort: Annotated[str, Query(description="name、registered；前加 - 为降序")] = "name",
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 200,
) -> list[dict[str, Any]]:
    rows, next_cursor = await repository.list_(
        session, tenant=tenant, unit_id=unit_id, state=state, sort=sort, cursor=cursor, limit=limit
    )
    if next_cursor is not None:
        response.headers["X-Next-Cursor"] = next_cursor
    return [await service.read(session, s) for s in rows]


@router.get(
    "/systems/{system_id}",
    response_model=SystemRead,
    summary="查看政务信息系统",
    responses=PROBLEMS,
)
async def get_system(system_id: uuid.UUID, access: Reader, session: DbSession) -> Any:
    system = await repository.get(session, system_id)
    access.check_read(_scope(system))
    return (await _out(session, system))[1]


@router.patch(
    "/systems/{system_id}",
    response_model=SystemRead,
    summary="修改系统事实（须带 If-Match）",
    responses={
        **PROBLEMS,
        412: {"description": "版本不一致"},
        428: {"description": "缺少 If-Match"},
    },
)
async def update_system(
    system_id: uuid.UUID,
    body: SystemUpdate,
    session: DbSession,
    access: CatalogWriter,
    if_match: Annotated[str | None, Header()] = None,
) -> Any:
    expected = parse_if_match(if_match, required=True)
    system = await _writable(session, access, system_id)
    system = await service.update(
        session,
        system=system,
        changes=body.model_dump(exclude_unset=True),
        expected_version=expected,
        actor=actor_of(access.subject),
    )
    return (await _out(session, system))[1]


@router.post(
    "/systems/{system_id}/operate",
    response_model=SystemRead,
    summary="系统投入运行",
    responses=PROBLEMS,
)
async def operate_system(
    system_id: uuid.UUID, session: DbSession, access: CatalogWriter, idem: Idem
) -> Any:
    if (replay := await idem.claim()) is not None:
        return replay
    system = await _writable(session, access, system_id)
    system = await service.put_in_operation(session, system=system, actor=actor_of(access.subject))
    out, response = await _out(session, system)
    await idem.save(200, out)
    return response


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
    if (replay := await idem.claim()) is not None:
        return replay
    system = await _writable(session, access, system_id)
    system = await service.decommission(
        session,
        system=system,
        disposition=body.disposition,
        evidence_document_id=body.evidence_document_id,
        reason=body.reason,
        actor=actor_of(access.subject),
    )
    out, response = await _out(session, system)
    await idem.save(200, out)
    return response


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
