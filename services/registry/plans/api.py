"""Annual plan routes: /v1/plans/{year} (view, demand items, consolidation)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from libs.common.auth import Scope
from libs.common.http import problem_responses
from libs.common.policies import Policies
from libs.common.service import DbSession, actor_of
from services.registry.deps import BureauDecider, Idem, PlanWriter, Reader
from services.registry.plans import service
from services.registry.plans.schemas import Consolidate, DemandCreate, DemandRead, PlanRead

PROBLEMS = problem_responses(s409="申报已截止或计划已汇总")
router = APIRouter(prefix="/v1", tags=["plans"], responses=PROBLEMS)
Year = Annotated[int, Path(ge=2000, le=2100, description="计划年度")]


@router.get("/plans/{year}", response_model=PlanRead, summary="年度需求计划")
async def get_plan(
    year: Year,
    policies: Policies,
    access: Reader,
    session: DbSession,
    tenant: Annotated[
        str | None, Query(pattern=r"^[0-9]{6}$", description="辖区（上级可查看下级）")
    ] = None,
) -> dict[str, Any]:
    code = tenant or access.subject.tenant
    access.check_read(Scope(tenant=code, what="年度计划", name=f"{code}/{year}"))
    return await service.read_plan(session, policies=policies, tenant=code, year=year)


@router.post(
    "/plans/{year}/items",
    response_model=DemandRead,
    status_code=201,
    summary="申报年度需求",
)
async def submit_demand(
    year: Year,
    body: DemandCreate,
    policies: Policies,
    session: DbSession,
    access: PlanWriter,
    idem: Idem,
) -> Any:
    if (replay := await idem.claim()) is not None:
        return replay
    tenant = access.subject.tenant
    access.check(Scope(tenant=tenant, unit_id=str(body.unit_id), what="年度需求", name=body.name))
    item = await service.submit_demand(
        session,
        policies=policies,
        tenant=tenant,
        year=year,
        body=body,
        actor=actor_of(access.subject),
    )
    return await idem.save(201, DemandRead.model_validate(item).model_dump(mode="json"))


@router.post(
    "/plans/{year}/consolidate",
    response_model=PlanRead,
    summary="汇总形成年度建设计划（政务服务数据管理部门）",
)
async def consolidate(
    year: Year,
    policies: Policies,
    session: DbSession,
    access: BureauDecider,
    idem: Idem,
    body: Consolidate | None = None,
) -> Any:
    if (replay := await idem.claim()) is not None:
        return replay
    tenant = access.subject.tenant
    access.check(Scope(tenant=tenant, what="年度计划", name=f"{tenant}/{year}"))
    await service.consolidate(
        session,
        tenant=tenant,
        year=year,
        exclude=body.exclude if body else [],
        actor=actor_of(access.subject),
    )
    out = await service.read_plan(session, policies=policies, tenant=tenant, year=year)
    return await idem.save(200, PlanRead.model_validate(out).model_dump(mode="json"))
