"""Unit routes: /v1/units (建设单位)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query

from libs.common.auth import Scope
from libs.common.errors import NotFound
from libs.common.http import problem_responses
from libs.common.routes import once
from libs.common.service import DbSession, actor_of
from services.registry.deps import Idem, Reader, UnitRegistrar
from services.registry.units import repository, service
from services.registry.units.schemas import UnitCreate, UnitRead

PROBLEMS = problem_responses()

router = APIRouter(prefix="/v1", tags=["units"], responses=PROBLEMS)


@router.get("/units", response_model=list[UnitRead], summary="建设单位列表")
async def list_units(
    access: Reader,
    session: DbSession,
    tenant: Annotated[
        str | None, Query(pattern=r"^[0-9]{6}$", description="仅列出该辖区的建设单位")
    ] = None,
) -> list[Any]:
    return list(await repository.list_(session, tenant=tenant))


@router.get("/units/{unit_id}", response_model=UnitRead, summary="查看建设单位")
async def get_unit(unit_id: uuid.UUID, access: Reader, session: DbSession) -> Any:
    unit = await repository.get(session, unit_id)
    if unit is None:  # a foreign tenant's unit is invisible (RLS): it answers like a missing one
        raise NotFound("建设单位", unit_id)
    access.check_read(Scope(tenant=unit.tenant_id, what="建设单位", name=unit.name))
    return unit


@router.post(
    "/units",
    response_model=UnitRead,
    status_code=201,
    summary="登记建设单位（本级政务服务数据管理部门）",
)
async def create_unit(
    body: UnitCreate, session: DbSession, access: UnitRegistrar, idem: Idem
) -> Any:
    tenant = access.subject.tenant

    async def register() -> UnitRead:
        # A unit is registered in the caller's own jurisdiction, never in one it oversees.
        access.check(Scope(tenant=tenant, what="建设单位", name=body.name))
        unit = await service.create_unit(
            session,
            tenant=tenant,
            name=body.name,
            credit_code=body.credit_code,
            actor=actor_of(access.subject),
        )
        return UnitRead.model_validate(unit)

    return await once(idem, register, status=201, location=lambda unit: f"/v1/units/{unit.id}")
