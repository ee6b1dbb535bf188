"""``GET /v1/projects/{id}/trail``: every event about a project, oldest first, paged."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query

from libs.common.auth import Scope
from libs.common.http import problem_responses
from libs.common.service import DbSession
from services.registry.deps import TrailReader
from services.registry.projects import repository as projects
from services.registry.trail import service
from services.registry.trail.schemas import TrailPage

router = APIRouter(prefix="/v1", tags=["trail"])


@router.get(
    "/projects/{project_id}/trail",
    response_model=TrailPage,
    summary="项目审计轨迹：各服务关于该项目的全部事件（时间顺序，分页）",
    responses=problem_responses(),
)
async def project_trail(
    project_id: uuid.UUID,
    access: TrailReader,
    session: DbSession,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Any:
    project = await projects.get(session, project_id)
    access.check_read(Scope.of(project))
    return await service.trail_page(session, project=project, cursor=cursor, limit=limit)
