"""Oversight route: /v1/oversight/summary (上级主管部门)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from libs.common.policies import Policies
from libs.common.routes import Cursor, PageLimit, paged
from libs.common.service import DbSession
from services.registry.deps import OversightReader
from services.registry.oversight import service
from services.registry.oversight.schemas import OverdueLimit, OversightSummary

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


@router.get(
    "/oversight/overdue",
    response_model=list[OverdueLimit],
    summary="下级辖区逾期的审批阶段期限（最早的在前；分页：下一页的游标在 X-Next-Cursor 响应头）",
    responses={
        401: {"description": "未认证"},
        403: {"description": "仅上级主管部门"},
        404: {"description": "不是所监督的辖区"},
        422: {"description": "游标无效"},
    },
)
async def oversight_overdue(
    request: Request,
    session: DbSession,
    access: OversightReader,
    response: Response,
    county: Annotated[
        str | None, Query(pattern=r"^[0-9]{6}$", description="汇总表中的一个辖区；缺省为全部")
    ] = None,
    cursor: Cursor = None,
    limit: PageLimit = 50,
) -> list[dict[str, Any]]:
    page = await service.overdue(
        session,
        tree=request.app.state.tenant_tree,
        tenant=access.subject.tenant,
        visible=access.subject.visible_tenants,
        county=county,
        cursor=cursor,
        limit=limit,
    )
    return paged(response, page)
