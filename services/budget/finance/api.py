"""Routes of what finance sees: a project's budget and the year's arrangements (read only).

Finance's own acts arrive as events (:mod:`.handlers`); docs/asyncapi.yaml is the
contract, generated from :mod:`.contract`.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Query

from libs.common.http import problem_responses
from libs.common.service import DbSession
from services.budget.deps import Read, readable_project
from services.budget.finance import repository, service
from services.budget.finance.schemas import ArrangementYearRead, BudgetRead

router = APIRouter(prefix="/v1", tags=["budget"])


@router.get(
    "/projects/{project_id}/budget",
    response_model=BudgetRead,
    summary="项目预算概况（批复金额、科目、资金审核、预算安排、支付、结余）",
    responses=problem_responses(),
)
async def get_budget(project_id: uuid.UUID, access: Read, session: DbSession) -> Any:
    project = await readable_project(session, project_id, access)
    return await service.budget_of(session, project)


@router.get(
    "/arrangements",
    response_model=ArrangementYearRead,
    summary="预算安排情况通报（按年度；财政通报政务服务数据管理部门）",
    responses=problem_responses(),
)
async def list_arrangements(
    access: Read,
    session: DbSession,
    year: int = Query(ge=2000, le=2100, description="预算年度"),
) -> Any:
    """坡头 第十五条: 区财政局应及时将……年度预算安排情况通报区政务服务数据管理局."""
    rows = await repository.arrangements_in_year(session, year)
    return {"year": year, "total": sum(a.amount for a in rows), "items": rows}
