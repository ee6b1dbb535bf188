"""``GET /v1/projects/{id}/approval``: the project's 立项批复 or 备案确认 in force."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from libs.common.http import problem_responses
from libs.common.service import DbSession
from libs.gongwen import OfficialDocument
from services.approval.deps import Reader
from services.approval.documents import repository, service
from services.approval.documents.schemas import ApprovalDocumentRead
from services.approval.workflow.scopes import review_scope

router = APIRouter(prefix="/v1", tags=["approval-documents"])


@router.get(
    "/projects/{project_id}/approval",
    summary="立项批复／备案确认（文号、有效期、预算年度）",
    response_model=ApprovalDocumentRead,
    responses=problem_responses(s409="项目尚未立项或备案"),
)
async def project_approval(
    project_id: uuid.UUID, access: Reader, session: DbSession
) -> ApprovalDocumentRead:
    wf, doc = await repository.in_force(session, project_id)
    access.check_read(await review_scope(session, wf))
    return ApprovalDocumentRead.of(service.document_view(doc))


@router.get(
    "/projects/{project_id}/approval/official",
    summary="立项批复／备案确认的公文内容（版头、文号、正文、版记；GB/T 9704-2012）",
    response_model=OfficialDocument,
    responses=problem_responses(s404="项目不存在或不可见", s409="项目尚未立项或备案"),
)
async def project_approval_official(
    project_id: uuid.UUID, access: Reader, session: DbSession
) -> OfficialDocument:
    wf, doc = await repository.readable_in_force(session, project_id)
    access.check_read(await review_scope(session, wf))
    decision = await repository.decision_of(session, wf)
    return await service.official_document(session, wf, doc, decision)
