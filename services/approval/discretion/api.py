"""Discretion routes: exceptions, authority-set parameters, and what-if impact (thin)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import Access, permit
from libs.common.http import problem_responses
from libs.common.idempotency import IdempotencyGuard
from libs.common.policies import Policies
from libs.common.routes import once
from libs.common.service import DbSession, actor_of
from libs.common.settings import service_settings
from libs.policy import PolicyRegistry
from libs.policy.impact import ImpactReport
from services.approval.deps import Idem, Reader
from services.approval.discretion import impact, service
from services.approval.discretion.schemas import (
    ExceptionCount,
    ExceptionCreate,
    ExceptionRead,
    ImpactCreate,
    ParameterCreate,
    ParameterRead,
)

PROBLEMS = problem_responses(s409="已决定／已设定", s422="规则或参数不可由主管机关决定")
router = APIRouter(prefix="/v1/policy", tags=["discretion"], responses=PROBLEMS)

# The named authority may be any role (县人民政府 acts as overseer); the service
# checks it against the rule's waivable_by. Auditors and admins never decide.
_Grant = Depends(permit("workflow.step"))
_Set = Depends(permit("discretion.grant"))


async def _decide(
    act: Callable[..., Awaitable[BaseModel]],
    body: BaseModel,
    session: AsyncSession,
    policies: PolicyRegistry,
    idem: IdempotencyGuard,
    access: Access,
) -> BaseModel | JSONResponse:
    """The authority's written decision ``act`` once per key, its author the actor."""
    subject = access.subject
    return await once(
        idem,
        lambda: act(
            session, subject=subject, body=body, policies=policies, actor=actor_of(subject)
        ),
        status=201,
    )


@router.post(
    "/exceptions",
    status_code=201,
    summary="主管机关对“原则上”条款决定例外（书面理由）",
    response_model=ExceptionRead,
)
async def grant_exception(
    body: ExceptionCreate,
    session: DbSession,
    policies: Policies,
    idem: Idem,
    access: Access = _Grant,
) -> BaseModel | JSONResponse:
    return await _decide(service.grant_exception, body, session, policies, idem, access)


@router.get(
    "/exceptions",
    summary="已决定的例外（本辖区；上级可见所辖区县）",
    response_model=list[ExceptionRead],
)
async def list_exceptions(
    access: Reader, session: DbSession, year: int | None = Query(default=None, ge=2000, le=2100)
) -> list[ExceptionRead]:
    return await service.list_exceptions(session, year=year)


@router.get(
    "/exceptions/summary",
    summary="各辖区每年决定例外的数量（市级看板）",
    response_model=list[ExceptionCount],
)
async def exception_counts(access: Reader, session: DbSession) -> list[ExceptionCount]:
    return await service.exception_counts(session)


@router.post(
    "/parameters",
    status_code=201,
    summary="登记由主管机关设定的参数（如政府采购限额），附设定文件文号和日期",
    response_model=ParameterRead,
)
async def record_parameter(
    body: ParameterCreate,
    session: DbSession,
    policies: Policies,
    idem: Idem,
    access: Access = _Set,
) -> BaseModel | JSONResponse:
    return await _decide(service.record_parameter, body, session, policies, idem, access)


@router.get(
    "/parameters",
    summary="本辖区由主管机关设定的参数（全部历史值）",
    response_model=list[ParameterRead],
)
async def list_parameters(
    access: Reader, session: DbSession, policies: Policies
) -> list[ParameterRead]:
    return await service.list_parameters(session, tenant=access.subject.tenant, policies=policies)


@router.post(
    "/impact",
    summary="拟议政策影响分析：按拟议政策包重新判定本辖区已申报项目",
    response_model=ImpactReport,
)
async def what_if(
    body: ImpactCreate,
    session: DbSession,
    idem: Idem,
    access: Access = _Set,
) -> BaseModel | JSONResponse:
    tenant = access.subject.tenant
    candidate = impact.candidate_from_text(
        service_settings("approval").policies_dir, tenant, body.pack
    )
    return await once(
        idem,
        lambda: impact.run_impact(session, tenant=tenant, candidate=candidate, since=body.since),
    )
