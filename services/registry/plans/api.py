"""Annual plan routes: /v1/plans/{year} (view, demand items paged, exclusion, consolidation)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response

from libs.common.auth import Scope
from libs.common.http import problem_responses
from libs.common.policies import Policies
from libs.common.routes import once
from libs.common.service import DbSession, actor_of
from services.registry.deps import BureauDecider, Idem, PlanWriter, Reader
from services.registry.plans import repository, service
from services.registry.plans.schemas import Consolidate, DemandCreate, DemandRead, PlanRead

PROBLEMS = problem_responses(s409="申报已截止或计划已汇总")
router = APIRouter(prefix="/v1", tags=["plans"], responses=PROBLEMS)
Year = Annotated[int, Path(ge=2000, le=2100, description="计划年度")]
Tenant = Annotated[str | None, Query(pattern=r"^[0-9]{6}$", description="辖区（上级可查看下级）")]


def _plan(tenant: str, year: int) -> Scope:
    """The scope of a jurisdiction's annual plan (read by its overseers, decided by its bureau)."""
    return Scope(tenant=tenant, what="年度计划", name=f"{tenant}/{year}")


@router.get("/plans/{year}", response_model=PlanRead, summary="年度需求计划")
async def get_plan(
    year: Year,
    policies: Policies,
    access: Reader,
    session: DbSession,
    tenant: Tenant = None,
) -> dict[str, Any]:
    code = tenant or access.subject.tenant
    access.check_read(_plan(code, year))
    return await service.read_plan(session, policies=policies, tenant=code, year=year)


@router.get(
    "/plans/{year}/items",
    response_model=list[DemandRead],
    summary="年度计划的需求条目（排序、分页：下一页的游标在 X-Next-Cursor 响应头）",
)
async def list_items(
    year: Year,
    access: Reader,
    session: DbSession,
    response: Response,
    tenant: Tenant = None,
    state: Annotated[Literal["submitted", "included", "excluded"] | None, Query()] = None,
    unit_id: Annotated[uuid.UUID | None, Query()] = None,
    sort: Annotated[
        str, Query(max_length=20, description="submitted、name、amount；前加 - 为降序")
    ] = "submitted",
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[DemandRead]:
    code = tenant or access.subject.tenant
    access.check_read(_plan(code, year))
    plan = await repository.plan(session, code, year)
    if plan is None:  # nobody has submitted demand for that year yet
        return []
    rows, next_cursor = await repository.item_page(
        session, plan.id, state=state, unit_id=unit_id, sort=sort, cursor=cursor, limit=limit
    )
    if next_cursor is not None:
        response.headers["X-Next-Cursor"] = next_cursor
    return [DemandRead.model_validate(i) for i in rows]


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
    tenant = access.subject.tenant

    async def submit() -> DemandRead:
        access.check(
            Scope(tenant=tenant, unit_id=str(body.unit_id), what="年度需求", name=body.name)
        )
        item = await service.submit_demand(
            session,
            policies=policies,
            tenant=tenant,
            year=year,
            body=body,
            actor=actor_of(access.subject),
        )
        return DemandRead.model_validate(item)

    return await once(idem, submit, status=201)


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
    tenant = access.subject.tenant

    async def consolidated() -> PlanRead:
        access.check(_plan(tenant, year))
        await service.consolidate(
            session,
            tenant=tenant,
            year=year,
            exclude=body.exclude if body else [],
            actor=actor_of(access.subject),
        )
        out = await service.read_plan(session, policies=policies, tenant=tenant, year=year)
        return PlanRead.model_validate(out)

    return await once(idem, consolidated)


async def _mark(
    year: Year,
    item_id: uuid.UUID,
    session: DbSession,
    access: BureauDecider,
    idem: Idem,
    *,
    excluded: bool,
) -> Any:
    tenant = access.subject.tenant

    async def marked() -> DemandRead:
        access.check(_plan(tenant, year))
        item = await service.mark_item(
            session,
            tenant=tenant,
            year=year,
            item_id=item_id,
            excluded=excluded,
            actor=actor_of(access.subject),
        )
        return DemandRead.model_validate(item)

    return await once(idem, marked)


@router.post(
    "/plans/{year}/items/{item_id}/exclude",
    response_model=DemandRead,
    summary="汇总前排除一项需求（政务服务数据管理部门）",
)
async def exclude_item(
    year: Year, item_id: uuid.UUID, session: DbSession, access: BureauDecider, idem: Idem
) -> Any:
    return await _mark(year, item_id, session, access, idem, excluded=True)


@router.post(
    "/plans/{year}/items/{item_id}/restore",
    response_model=DemandRead,
    summary="汇总前恢复一项已排除的需求（政务服务数据管理部门）",
)
async def restore_item(
    year: Year, item_id: uuid.UUID, session: DbSession, access: BureauDecider, idem: Idem
) -> Any:
    return await _mark(year, item_id, session, access, idem, excluded=False)
