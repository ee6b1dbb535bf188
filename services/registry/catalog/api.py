"""Catalog routes: /v1/systems and /v1/units/{id}/system-counts."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query
from fastapi.responses import JSONResponse

from libs.common.auth import CurrentSubject
from libs.common.errors import Problem
from libs.common.http import etag, parse_if_match, problem_responses
from libs.common.service import DbSession, actor_of
from services.registry.catalog import service
from services.registry.catalog.schemas import (
    SystemCreate,
    SystemDecommission,
    SystemRead,
    SystemState,
    SystemUpdate,
    UnitSystemCount,
)
from services.registry.deps import Idem, Writer
from services.registry.models import System, Unit

router = APIRouter(prefix="/v1", tags=["systems"])
PROBLEMS = problem_responses(s409="当前状态不允许此操作")


async def _out(
    session: DbSession, system: System, status: int = 200
) -> tuple[dict[str, Any], JSONResponse]:
    body: dict[str, Any] = SystemRead.model_validate(
        await service.read(session, system)
    ).model_dump(mode="json")
    return body, JSONResponse(body, status_code=status, headers={"ETag": etag(system.version)})


@router.post(
    "/systems",
    response_model=SystemRead,
    status_code=201,
    summary="登记政务信息系统",
    responses=PROBLEMS,
)
async def register_system(
    body: SystemCreate, session: DbSession, subject: Writer, idem: Idem
) -> Any:
    if (replay := await idem.claim()) is not None:
        return replay
    system = await service.register(
        session, tenant=subject.tenant, body=body, actor=actor_of(subject)
    )
    out, response = await _out(session, system, 201)
    location = f"/v1/systems/{system.id}"
    response.headers["Location"] = location
    await idem.save(201, out, location=location)
    return response


@router.get(
    "/systems", response_model=list[SystemRead], summary="政务信息系统目录", responses=PROBLEMS
)
async def list_systems(
    subject: CurrentSubject,
    session: DbSession,
    tenant: Annotated[str | None, Query(pattern=r"^[0-9]{6}$")] = None,
    unit_id: Annotated[uuid.UUID | None, Query()] = None,
    state: Annotated[SystemState | None, Query()] = None,
) -> list[dict[str, Any]]:
    return [
        await service.read(session, s)
        for s in await service.list_systems(session, tenant=tenant, unit_id=unit_id, state=state)
    ]


@router.get(
    "/systems/{system_id}",
    response_model=SystemRead,
    summary="查看政务信息系统",
    responses=PROBLEMS,
)
async def get_system(system_id: uuid.UUID, subject: CurrentSubject, session: DbSession) -> Any:
    system = await session.get(System, system_id)
    if system is None:
        raise Problem.not_found("政务信息系统", system_id)
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
    subject: Writer,
    if_match: Annotated[str | None, Header()] = None,
) -> Any:
    expected = parse_if_match(if_match, required=True)
    system = await service.writable(session, system_id=system_id, tenant=subject.tenant)
    system = await service.update(
        session,
        system=system,
        changes=body.model_dump(exclude_unset=True),
        expected_version=expected,
        actor=actor_of(subject),
    )
    return (await _out(session, system))[1]


@router.post(
    "/systems/{system_id}/operate",
    response_model=SystemRead,
    summary="系统投入运行",
    responses=PROBLEMS,
)
async def operate_system(
    system_id: uuid.UUID, session: DbSession, subject: Writer, idem: Idem
) -> Any:
    if (replay := await idem.claim()) is not None:
        return replay
    system = await service.writable(session, system_id=system_id, tenant=subject.tenant)
    system = await service.put_in_operation(session, system=system, actor=actor_of(subject))
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
    system_id: uuid.UUID, body: SystemDecommission, session: DbSession, subject: Writer, idem: Idem
) -> Any:
    if (replay := await idem.claim()) is not None:
        return replay
    system = await service.writable(session, system_id=system_id, tenant=subject.tenant)
    system = await service.decommission(
        session,
        system=system,
        disposition=body.disposition,
        evidence_document_id=body.evidence_document_id,
        reason=body.reason,
        actor=actor_of(subject),
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
    subject: CurrentSubject,
    session: DbSession,
    months: Annotated[int, Query(ge=1, le=60)] = 12,
) -> dict[str, Any]:
    unit = await session.get(Unit, unit_id)
    if unit is None:
        raise Problem.not_found("建设单位", unit_id)
    return {
        **await service.unit_counts(session, unit_id, months=months),
        "tenant_id": unit.tenant_id,
    }
