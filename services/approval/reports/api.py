"""``POST /v1/reports/{id}/receipt``: the city acknowledges its county's reported result."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from libs.common.auth import Scope
from libs.common.http import problem_responses
from libs.common.routes import once
from libs.common.service import DbSession, actor_of
from services.approval.deps import Acknowledge, Idem
from services.approval.reports import repository, service
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
    async def produce() -> ReportRead:
        # Only a report made to the caller's own jurisdiction (a sibling county's or
        # another city's answers 404); the receipt is a row of the caller's tenant.
        report, doc = await repository.reported_to(session, report_id, access.subject.tenant)
        access.check_read(Scope(tenant=report.tenant_id, what="报送"))
        access.check(Scope(tenant=report.parent_tenant, what="报送回执"))
        return await service.acknowledge(
            session, report=report, doc=doc, note=body.note, actor=actor_of(access.subject)
        )

    return await once(idem, produce, status=201)
