"""Routes of the pre-acceptance review: open it, name evidence per item, decide it."""

from __future__ import annotations

from fastapi import APIRouter, Response
from pydantic import BaseModel

from libs.common.service import DbSession
from services.acceptance.completion.repository import record
from services.acceptance.completion.schemas import AcceptanceRecordRead
from services.acceptance.deps import PROBLEMS, ProjectStep, WritableProject
from services.acceptance.review import service
from services.acceptance.review.schemas import EvidenceUpdate, ReviewCreate, ReviewDecisionCreate

router = APIRouter(tags=["acceptance"], responses=PROBLEMS)


@router.post(
    "/projects/{project_id}/review",
    response_model=AcceptanceRecordRead,
    summary="申请验收前置审核（符合性审查）",
)
async def request_review(
    step: ProjectStep, body: ReviewCreate | None = None
) -> BaseModel | Response:
    return await step.take(service.request_review, body=body or ReviewCreate())


@router.put(
    "/projects/{project_id}/review/items/{code}",
    response_model=AcceptanceRecordRead,
    summary="为审核事项指定电子档案中的证明文件",
)
async def attach(
    code: str, body: EvidenceUpdate, target: WritableProject, session: DbSession
) -> AcceptanceRecordRead:
    # PUT replaces the item's evidence: repeating it is harmless without a key.
    await service.attach_evidence(
        session,
        target.project,
        code=code,
        document_ids=body.evidence_document_ids,
        note=body.note,
        actor=target.actor,
    )
    await session.flush()
    return await record(session, target.project)


@router.post(
    "/projects/{project_id}/review/decision",
    response_model=AcceptanceRecordRead,
    summary="验收前置审核结论（通过/退回）",
)
async def decide_review(body: ReviewDecisionCreate, step: ProjectStep) -> BaseModel | Response:
    # The route admits unit and bureau; the decision's reviewer_role (its article) decides who.
    return await step.take(service.decide_review, step.target.access.subject, body=body)
