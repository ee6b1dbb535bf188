"""``POST /v1/reports/{id}/receipt``: the city acknowledges its county's reported result."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from libs.common.http import problem_responses
from libs.common.service import DbSession, actor_of
from services.approval.deps import Acknowledge, Idem, once
from services.approval.reports import service
from services.approval.reports.schemas import ReceiptCreate, ReportRead

router = APIRouter(prefix="/v1", tags=["reports"])


@router.post(
    "/reports/{report_id}/receipt",
    status_code=201,
    summary="上级确认收到下级报送的立项结果（潮州 第十四条）",
    response_model=ReportRead,
    responses=problem_responses(s409="已确认"),
)
async def acknowledge(
    report_id: uuid.UUID,
    body: ReceiptCreate,
    access: Acknowledge,
    session: DbSession,
    idem: Idem,
) -> BaseModel | JSONResponse:
    # The receipt is a row of the overseer's own tenant; the report must be one made
    # to it (a sibling county's or another city's answers 404 in the repository).
    subject = access.subject
    return await once(
        idem,
        201,
        lambda: service.acknowledge(
            session,
            report_id=report_id,
            parent=subject.tenant,
            note=body.note,
            actor=actor_of(subject),
        ),
    )
