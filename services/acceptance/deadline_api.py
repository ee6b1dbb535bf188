"""Deadline routes: the list (own and overseen tenants), the sweep on demand, extensions."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Query, Request

from libs.common.auth import CurrentSubject
from libs.common.service import DbSession, actor_of
from services.acceptance import guards, sweep
from services.acceptance.deps import PROBLEMS, Bureau, Idem, Sweeper, Unit, deadline_dict, row
from services.acceptance.models import Deadline
from services.acceptance.schemas import ExtensionDecisionIn, ExtensionIn

# Included by services.acceptance.api under its /v1 prefix.
router = APIRouter()


@router.get(
    "/deadlines", tags=["deadlines"], summary="期限（本级及所监督的下级）", responses=PROBLEMS
)
async def list_deadlines(
    subject: CurrentSubject,
    session: DbSession,
    status: Annotated[str | None, Query(pattern="^(open|overdue|met)$")] = None,
    tenant: Annotated[str | None, Query(pattern="^[0-9]{6}$")] = None,
    code: Annotated[str | None, Query(max_length=64)] = None,
    project_id: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[dict[str, Any]]:
    q = sa.select(Deadline).order_by(Deadline.due_on, Deadline.id).limit(limit)
    if status:
        q = q.where(Deadline.status == status)
    if tenant:
        q = q.where(Deadline.tenant_id == tenant)
    if code:
        q = q.where(Deadline.code == code)
    if project_id:
        q = q.where(Deadline.project_id == project_id)
    return [deadline_dict(d) for d in (await session.scalars(q)).all()]


@router.post(
    "/deadlines/sweep",
    tags=["deadlines"],
    summary="立即检查期限（提醒与逾期，各发一次）",
    responses=PROBLEMS,
)
async def sweep_now(request: Request, subject: Sweeper) -> dict[str, Any]:
    # Each tenant in its own transaction and RLS context, as the worker does; an
    # overseer sweeps what it oversees, the bureau its own jurisdiction.
    codes = sorted(subject.visible_tenants)
    sent = await sweep.sweep(request.app.state.sessionmaker, codes, actor=actor_of(subject))
    return {"tenants": codes, "sent": sent}


@router.post(
    "/projects/{project_id}/deadlines/{code}/extensions",
    tags=["deadlines"],
    summary="延期申请（莱州 第二十三条第二款：延期验收）",
    status_code=201,
    responses=PROBLEMS,
)
async def extend(
    project_id: uuid.UUID,
    code: str,
    body: ExtensionIn,
    subject: Unit,
    session: DbSession,
    idem: Idem,
) -> Any:
    if (replay := await idem.claim()) is not None:
        return replay
    project = await guards.writable(session, project_id, subject)
    ext = await sweep.request_extension(
        session, project, code=code, until=body.until, reason=body.reason, actor=actor_of(subject)
    )
    return await idem.save(
        201, row(ext, "id", "deadline_id", "project_id", "requested_until", "reason", "status")
    )


@router.post(
    "/extensions/{extension_id}/decision",
    tags=["deadlines"],
    summary="审批延期申请（项目审批部门）",
    responses=PROBLEMS,
)
async def decide_extension(
    extension_id: uuid.UUID,
    body: ExtensionDecisionIn,
    subject: Bureau,
    session: DbSession,
    idem: Idem,
) -> Any:
    if (replay := await idem.claim()) is not None:
        return replay
    ext = await sweep.decide_extension(
        session,
        extension_id,
        subject.tenant,
        outcome=body.outcome,
        opinion=body.opinion,
        actor=actor_of(subject),
    )
    return await idem.save(
        200, row(ext, "id", "deadline_id", "project_id", "requested_until", "status", "opinion")
    )
