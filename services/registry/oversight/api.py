"""Oversight route: /v1/oversight/summary (上级主管部门)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from libs.common.policies import Policies
from libs.common.service import DbSession
from services.registry.deps import OversightReader
from services.registry.oversight import service
from services.registry.oversight.schemas import OversightSummary

router = APIRouter(prefix="/v1", tags=["oversight"])


@router.get(
    "/oversight/summary",
    response_model=OversightSummary,
    summary="下级辖区汇总（按管理方式与状态的项目数和金额、系统、年度计划）",
    responses={401: {"description": "未认证"}, 403: {"description": "仅上级主管部门"}},
)
async def oversight_summary(
    request: Request, policies: Policies, session: DbSession, access: OversightReader
) -> dict[str, Any]:
    # A summary *per child jurisdiction* only means something to the role that
    # oversees them (docs/adr/0003): its own action in ADR 0008's table.
    return await service.summarise(
        session,
        policies=policies,
        tree=request.app.state.tenant_tree,
        tenant=access.subject.tenant,
        visible=access.subject.visible_tenants,
    )
