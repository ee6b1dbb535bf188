"""acceptance routes: a project's acceptance record and its steps; deadlines and evaluations join here.

Reads cover the caller's visible tenants (an overseer city sees its counties);
writes act in the caller's own tenant only (a foreign project is 404). POSTs
honour ``Idempotency-Key``.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter

from libs.common.auth import CurrentSubject
from libs.common.idempotency import IdempotencyGuard
from libs.common.service import DbSession, actor_of
from services.acceptance import guards, review, service
from services.acceptance.deadline_api import router as deadline_router
from services.acceptance.deps import PROBLEMS, Idem, Unit
from services.acceptance.evaluation_api import router as evaluation_router
from services.acceptance.models import Project
from services.acceptance.record import record
from services.acceptance.schemas import (
    AcceptanceIn,
    CompletionIn,
    EvidenceIn,
    OperationIn,
    ReviewDecisionIn,
    ReviewIn,
)

router = APIRouter(prefix="/v1")


@router.get(
    "/projects/{project_id}/acceptance",
    tags=["acceptance"],
    summary="项目的验收档案（清单、审核、验收、期限、评价）",
    responses=PROBLEMS,
)
async def get_record(
    project_id: uuid.UUID, subject: CurrentSubject, session: DbSession
) -> dict[str, Any]:
    return await record(session, await guards.get_project(session, project_id))


async def _done(
    idem: IdempotencyGuard, session: DbSession, project: Project, status: int = 200
) -> Any:
    await session.flush()
    return await idem.save(status, await record(session, project))


@router.post(
    "/projects/{project_id}/completion",
    tags=["acceptance"],
    summary="申报项目建成（实施中 → 已完工）",
    responses=PROBLEMS,
)
async def complete(
    project_id: uuid.UUID, body: CompletionIn, subject: Unit, session: DbSession, idem: Idem
) -> Any:
    if (replay := await idem.claim()) is not None:
        return replay
    project = await guards.writable(session, project_id, subject)
    await service.declare_completion(
        session, project, completed_on=body.completed_on, note=body.note, actor=actor_of(subject)
    )
    return await _done(idem, session, project)


@router.post(
    "/projects/{project_id}/review",
    tags=["acceptance"],
    summary="申请验收前置审核（符合性审查）",
    responses=PROBLEMS,
)
async def request_review(
    project_id: uuid.UUID,
    subject: Unit,
    session: DbSession,
    idem: Idem,
    body: ReviewIn | None = None,
) -> Any:
    if (replay := await idem.claim()) is not None:
        return replay
    project = await guards.writable(session, project_id, subject)
    await review.request_review(
        session, project, note=body.note if body else None, actor=actor_of(subject)
    )
    return await _done(idem, session, project)


@router.put(
    "/projects/{project_id}/review/items/{code}",
    tags=["acceptance"],
    summary="为审核事项指定电子档案中的证明文件",
    responses=PROBLEMS,
)
async def attach(
    project_id: uuid.UUID, code: str, body: EvidenceIn, subject: Unit, session: DbSession
) -> Any:
    project = await guards.writable(session, project_id, subject)
    await review.attach_evidence(
        session,
        project,
        code=code,
        document_ids=body.evidence_document_ids,
        note=body.note,
        actor=actor_of(subject),
    )
    await session.flush()
    return await record(session, project)


@router.post(
    "/projects/{project_id}/review/decision",
    tags=["acceptance"],
    summary="验收前置审核结论（通过/退回）",
    responses=PROBLEMS,
)
async def decide_review(
    project_id: uuid.UUID, body: ReviewDecisionIn, subject: Unit, session: DbSession, idem: Idem
) -> Any:
    if (replay := await idem.claim()) is not None:
        return replay
    project = await guards.writable(session, project_id, subject)
    await review.decide_review(
        session,
        project,
        subject,
        outcome=body.outcome,
        opinion=body.opinion,
        actor=actor_of(subject),
    )
    return await _done(idem, session, project)


@router.post(
    "/projects/{project_id}/acceptance",
    tags=["acceptance"],
    summary="记录验收（专家意见、验收报告、结论）",
    responses=PROBLEMS,
)
async def accept(
    project_id: uuid.UUID, body: AcceptanceIn, subject: Unit, session: DbSession, idem: Idem
) -> Any:
    if (replay := await idem.claim()) is not None:
        return replay
    project = await guards.writable(session, project_id, subject)
    await service.record_acceptance(
        session,
        project,
        subject,
        outcome=body.outcome,
        held_on=body.held_on,
        report_document_id=body.report_document_id,
        expert_opinions=[o.model_dump() for o in body.expert_opinions],
        conclusion=body.conclusion,
        actor=actor_of(subject),
    )
    return await _done(idem, session, project)


@router.post(
    "/projects/{project_id}/operation",
    tags=["acceptance"],
    summary="系统投入使用（已验收 → 运行中）",
    responses=PROBLEMS,
)
async def operate(
    project_id: uuid.UUID, body: OperationIn, subject: Unit, session: DbSession, idem: Idem
) -> Any:
    if (replay := await idem.claim()) is not None:
        return replay
    project = await guards.writable(session, project_id, subject)
    await service.start_operation(
        session, project, in_operation_on=body.in_operation_on, actor=actor_of(subject)
    )
    return await _done(idem, session, project)


router.include_router(deadline_router)
router.include_router(evaluation_router)
