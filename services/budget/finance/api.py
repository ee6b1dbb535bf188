"""Routes of what finance sees (a project's budget, the overview, the year's arrangements)
and the one finance act recorded over HTTP: a 预算安排 typed in on the console.

Finance's other acts arrive as events (:mod:`.handlers`); docs/asyncapi.yaml is the
contract, generated from :mod:`.contract`.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query

from libs.common.http import problem_responses
from libs.common.service import DbSession
from services.budget.deps import PROBLEMS, ArrangementWriting, Reader, readable_project
from services.budget.finance import repository, service
from services.budget.finance.schemas import (
    ArrangementCreate,
    ArrangementRead,
    ArrangementYearRead,
    BudgetPage,
    BudgetRead,
)

# Reads answer the common problems; the write below declares its own (409, 422).
router = APIRouter(prefix="/v1", tags=["budget"], responses=problem_responses())


@router.get(
    "/projects/{project_id}/budget",
    response_model=BudgetRead,
    summary="项目预算概况（批复金额、科目、资金审核、预算安排、支付、结余）",
)
async def get_budget(project_id: uuid.UUID, access: Reader, session: DbSession) -> Any:
    project = await readable_project(session, project_id, access)
    return await service.budget_of(session, project)


@router.get(
    "/arrangements",
    response_model=ArrangementYearRead,
    summary="预算安排情况通报（按年度；财政通报政务服务数据管理部门）",
)
async def list_arrangements(
    access: Reader,
    session: DbSession,
    year: int = Query(ge=2000, le=2100, description="预算年度"),
) -> Any:
    """坡头 第十五条: 区财政局应及时将……年度预算安排情况通报区政务服务数据管理局."""
    rows = await repository.arrangements_in_year(session, year)
    return {"year": year, "total": sum(a.amount for a in rows), "items": rows}


@router.get(
    "/budgets",
    response_model=BudgetPage,
    summary="资金联动总览：可见辖区每个项目的申报、核定、批复、安排、支付和余额（分页）",
)
async def list_budgets(
    access: Reader,
    session: DbSession,
    status: Annotated[str | None, Query(max_length=32, description="项目状态")] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Any:
    """One request for a whole page: the console never asks project by project."""
    rows, next_cursor = await repository.budget_page(
        session, status=status, unit_id=access.own_unit(), cursor=cursor, limit=limit
    )
    return {"items": [service.summary_of(r) for r in rows], "next_cursor": next_cursor}


@router.post(
    "/projects/{project_id}/arrangements",
    response_model=ArrangementRead,
    status_code=201,
    summary="登记预算安排（财政部门：下达文号、年度、金额）",
    responses=PROBLEMS,
)
async def create_arrangement(
    project_id: uuid.UUID, body: ArrangementCreate, write: ArrangementWriting
) -> Any:
    """坡头 第十五条: 区财政局……年度预算安排情况; the notice's event path, typed in by hand."""
    return await write.run(project_id, service.arrange, body)
