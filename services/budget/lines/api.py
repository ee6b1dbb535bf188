"""Routes of budget lines and adjustments (thin: authorize, call :mod:`.service`, answer)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter

from libs.common.service import DbSession
from services.budget.deps import PROBLEMS, BudgetWriting, Reader, readable_project
from services.budget.lines import repository, service
from services.budget.lines.schemas import AdjustmentCreate, AdjustmentRead, LineCreate, LineRead

router = APIRouter(prefix="/v1", tags=["budget lines"], responses=PROBLEMS)


@router.post(
    "/projects/{project_id}/lines",
    response_model=LineRead,
    status_code=201,
    summary="编报预算科目（建设、监理、第三方测试、安全评估、分年度运维）",
)
async def create_line(project_id: uuid.UUID, body: LineCreate, write: BudgetWriting) -> Any:
    return await write.run(
        project_id,
        service.create_line,
        body,
        location=lambda out: f"/v1/projects/{project_id}/lines/{out['id']}",
    )


@router.get(
    "/projects/{project_id}/lines",
    response_model=list[LineRead],
    summary="项目的预算科目",
)
async def list_lines(project_id: uuid.UUID, access: Reader, session: DbSession) -> Any:
    project = await readable_project(session, project_id, access)
    return [service.line_out(x) for x in await repository.lines_of(session, project.id)]


@router.post(
    "/projects/{project_id}/adjustments",
    response_model=AdjustmentRead,
    status_code=201,
    summary="资金调整（科目之间调剂，总额不变；计入自行调整上限）",
)
async def create_adjustment(
    project_id: uuid.UUID, body: AdjustmentCreate, write: BudgetWriting
) -> Any:
    return await write.run(
        project_id,
        service.adjust,
        body,
        location=lambda out: f"/v1/projects/{project_id}/adjustments/{out['id']}",
    )
