"""``GET /v1/projects/{id}/trail``: every event about a project, oldest first, paged."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from libs.common.auth import Access, Scope, permit
from libs.common.http import problem_responses
from libs.common.service import DbSession
from libs.vocab import describe_event
from services.registry.models import TrailEvent
from services.registry.projects import repository as projects
from services.registry.trail import repository
from services.registry.trail.schemas import TrailAmount, TrailEntry, TrailPage

router = APIRouter(prefix="/v1", tags=["trail"])

#: The auditor, the bureau and the overseeing city read a project's whole trail.
TrailReader = Annotated[Access, Depends(permit("trail.read"))]


def _entry(row: TrailEvent) -> TrailEntry:
    line = describe_event(row.type, row.data)
    return TrailEntry(
        event_id=row.event_id,
        type=row.type,
        at=row.occurred_at,
        actor=row.actor,
        sentence=line.sentence,
        amounts=[TrailAmount(label=name, amount=yuan) for name, yuan in line.amounts],
        article=line.article,
    )


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
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Any:
    project = await projects.get(session, project_id)
    access.check_read(Scope.of(project))
    rows, next_cursor = await repository.page(session, project_id, cursor=cursor, limit=limit)
    policy = (project.decision or {}).get("policy") or {}
    return TrailPage(
        project_id=project.id,
        policy_id=policy.get("id") if isinstance(policy, dict) else None,
        items=[_entry(r) for r in rows],
        next_cursor=next_cursor,
    )
