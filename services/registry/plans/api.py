"""Annual plan routes: /v1/plans/{year} (view, demand items, consolidation)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request

from libs.common.auth import AuthSubject, CurrentSubject, require_roles
from libs.common.errors import Problem
from libs.common.http import problem_responses
from libs.common.service import DbSession, actor_of
from services.registry.deps import Idem, Writer
from services.registry.plans import service
from services.registry.plans.schemas import Consolidate, DemandCreate, DemandRead, PlanRead
from services.registry.policy import policies_of

router = APIRouter(prefix="/v1", tags=["plans"])
PROBLEMS = problem_responses(s409="申报已截止或计划已汇总")
Year = Annotated[int, Path(ge=2000, le=2100, description="计划年度")]


@router.get("/plans/{year}", response_model=PlanRead, summary="年度需求计划", responses=PROBLEMS)
async def get_plan(
    year: Year,
    request: Request,
    subject: CurrentSubject,
    session: DbSession,
    tenant: Annotated[
        str | None, Query(pattern=r"^[0-9]{6}$", description="辖区（上级可查看下级）")
    ] = None,
) -> dict[str, Any]:
    code = tenant or subject.tenant
    if code not in subject.visible_tenants:
        raise Problem.not_found("年度计划", f"{code}/{year}")
    return await service.read_plan(session, policies=policies_of(request), tenant=code, year=year)


@router.post(
    "/plans/{year}/items",
    response_model=DemandRead,
    status_code=201,
    summary="申报年度需求",
    responses=PROBLEMS,
)
async def submit_demand(
    year: Year,
    body: DemandCreate,
    request: Request,
    session: DbSession,
    subject: Writer,
    idem: Idem,
) -> Any:
    if (replay := await idem.claim()) is not None:
        return replay
    item = await service.submit_demand(
        session,
        policies=policies_of(request),
        tenant=subject.tenant,
        year=year,
        body=body,
        actor=actor_of(subject),
    )
    return await idem.save(201, DemandRead.model_validate(item).model_dump(mode="json"))


@router.post(
    "/plans/{year}/consolidate",
    response_model=PlanRead,
    summary="汇总形成年度建设计划（政务服务数据管理部门）",
    responses=PROBLEMS,
)
async def consolidate(
    year: Year,
    request: Request,
    session: DbSession,
    subject: Annotated[AuthSubject, Depends(require_roles("bureau_officer"))],
    idem: Idem,
    body: Consolidate | None = None,
) -> Any:
    if (replay := await idem.claim()) is not None:
        return replay
    await service.consolidate(
        session,
        tenant=subject.tenant,
        year=year,
        exclude=body.exclude if body else [],
        actor=actor_of(subject),
    )
    out = await service.read_plan(
        session, policies=policies_of(request), tenant=subject.tenant, year=year
    )
    return await idem.save(200, PlanRead.model_validate(out).model_dump(mode="json"))
