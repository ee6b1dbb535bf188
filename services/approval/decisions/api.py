"""``GET /v1/projects/{id}/decision``: the policy decision on the latest submission."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from libs.common.http import problem_responses
from libs.common.service import DbSession
from services.approval.decisions import repository
from services.approval.decisions.schemas import DecisionRead
from services.approval.deps import Reader
from services.approval.workflow import repository as workflows
from services.approval.workflow.scopes import review_scope

router = APIRouter(prefix="/v1", tags=["decisions"])


@router.get(
    "/projects/{project_id}/decision",
    summary="项目的政策判定（最近一次申报）",
    response_model=DecisionRead,
    responses=problem_responses(),
)
async def get_decision(project_id: uuid.UUID, access: Reader, session: DbSession) -> DecisionRead:
    row = await repository.latest(session, project_id)
    wf = await workflows.of_decision(session, row.id)
    access.check_read(await review_scope(session, wf, what="项目判定"))
    return DecisionRead.model_validate(row)
