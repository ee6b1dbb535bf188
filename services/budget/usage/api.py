"""Routes of disbursements, usage reports and surplus returns (thin)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter

from libs.common.errors import Invalid
from libs.common.policies import Policies
from libs.common.service import DbSession, actor_of
from services.budget.deps import (
    PROBLEMS,
    BudgetWriting,
    Reader,
    answer,
    readable_project,
    writable_project,
)
from services.budget.lines import repository as lines_repository
from services.budget.usage import repository, service
from services.budget.usage.schemas import (
    DisbursementCreate,
    DisbursementRead,
    SurplusReturnCreate,
    SurplusReturnRead,
    UsageReportCreate,
    UsageReportRead,
)

router = APIRouter(prefix="/v1", tags=["usage"], responses=PROBLEMS)


@router.post(
    "/projects/{project_id}/disbursements",
    response_model=DisbursementRead,
    status_code=201,
    summary="登记资金支付（凭证号唯一：重复提交不重复记账，答复首笔支付 200）",
    responses={
        200: {"model": DisbursementRead, "description": "该凭证号已登记：首笔支付"},
    },
)
async def create_disbursement(
    project_id: uuid.UUID, body: DisbursementCreate, write: BudgetWriting
) -> Any:
    # Not write.run: a voucher already recorded answers 200 with the first payment.
    session, idem, access = write.session, write.idem, write.access
    if (replay := await idem.claim()) is not None:
        return replay
    project = await writable_project(session, project_id, access)
    line = await lines_repository.get_line(session, project.id, body.line_id)
    if line is None:
        raise Invalid("line_id", "不是本项目的预算科目")
    out, created = await service.record_disbursement(
        session,
        project=project,
        line=line,
        amount=body.amount,
        paid_on=body.paid_on,
        voucher_no=body.voucher_no,
        contract_id=body.contract_id,
        source="api",
        actor=actor_of(access.subject),
    )
    return await answer(idem, write.response, out, status=201 if created else 200)


@router.get(
    "/projects/{project_id}/disbursements",
    response_model=list[DisbursementRead],
    summary="项目的资金支付",
)
async def list_disbursements(project_id: uuid.UUID, access: Reader, session: DbSession) -> Any:
    project = await readable_project(session, project_id, access)
    lines = await lines_repository.lines_of(session, project.id)
    return service.disbursements_out(await repository.disbursements_of(session, project.id), lines)


@router.post(
    "/projects/{project_id}/usage-reports",
    response_model=UsageReportRead,
    status_code=201,
    summary="资金使用情况定期报告（报财政）",
)
async def create_usage_report(
    project_id: uuid.UUID, body: UsageReportCreate, write: BudgetWriting, policies: Policies
) -> Any:
    return await write.run(
        project_id,
        service.report_usage,
        body,
        policies=policies,
    )


@router.post(
    "/projects/{project_id}/surplus-returns",
    response_model=SurplusReturnRead,
    status_code=201,
    summary="结余资金按原渠道退回",
)
async def create_surplus_return(
    project_id: uuid.UUID, body: SurplusReturnCreate, write: BudgetWriting, policies: Policies
) -> Any:
    return await write.run(
        project_id,
        service.return_surplus,
        body,
        policies=policies,
    )
