"""Policy routes: evaluate a project's facts, read the packs of visible jurisdictions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from libs.common.errors import NotFound
from libs.common.http import problem_responses
from libs.common.policies import Policies
from libs.common.routes import once
from libs.common.service import DbSession
from libs.policy import Decision
from services.approval.deps import Idem, Reader
from services.approval.discretion.service import settings_of
from services.approval.policy import service
from services.approval.policy.schemas import EvaluateRequest, PolicyRead, PolicySummary

PROBLEMS = problem_responses(s422="项目事实不合法，或申报日无适用的政策")

router = APIRouter(prefix="/v1", tags=["policy"], responses=PROBLEMS)


@router.post(
    "/policy/evaluate",
    summary="按政策包判定项目（立项审批 / 备案 / 自行管理……）",
    response_model=Decision,
)
async def evaluate_facts(
    access: Reader,
    policies: Policies,
    body: Annotated[EvaluateRequest, Body()],
    idem: Idem,
    session: DbSession,
) -> BaseModel | JSONResponse:
    subject = access.subject
    tenant = body.tenant or subject.tenant
    if tenant not in subject.visible_tenants:
        # Another jurisdiction's decisions are not ours to compute: answer like a missing tenant.
        raise NotFound("辖区", tenant)

    # The values the tenant's authority set (政府采购限额 …), as stored decisions use them.
    settings = await settings_of(session, tenant)

    async def produce() -> Decision:
        return service.judge(policies, tenant, body.facts, settings=settings)

    return await once(idem, produce)


@router.get(
    "/policies",
    summary="可见辖区的政策包",
    response_model=list[PolicySummary],
)
async def list_policies(access: Reader, policies: Policies) -> list[PolicySummary]:
    return service.readable(policies, access.subject.visible_tenants)


@router.get(
    "/policies/{pack_id}",
    summary="查看政策包（逐条）",
    response_model=PolicyRead,
)
async def get_policy(pack_id: str, access: Reader, policies: Policies) -> PolicyRead:
    return service.read(policies, pack_id, access.subject.visible_tenants)
