"""采购与合同: the steps that move an approved or filed project into construction.

``POST /v1/projects/{id}/procurement`` starts procurement (approved|filed →
procuring, ``govproj.budget.project.procurement_started.v1``);
``POST /v1/projects/{id}/contracts`` records a signed contract (the first one:
procuring → implementing, ``govproj.budget.project.contracted.v1``). The
registry follows both events.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Response

from libs.common.auth import CurrentSubject
from libs.common.errors import Problem
from libs.common.events import emit
from libs.common.service import DbSession, actor_of
from services.budget.deps import PROBLEMS, Idem, Writer, writable
from services.budget.models import Contract, Procurement
from services.budget.projects import require_project
from services.budget.schemas import ContractCreate, ContractRead, ProcurementRead, ProcurementStart

router = APIRouter(prefix="/v1", tags=["procurement"])

STATUS_LABEL = {
    "submitted": "已申报",
    "under_review": "审核中",
    "approved": "已立项",
    "filed": "已备案",
    "rejected": "不予立项",
    "returned": "已退回",
    "out_of_scope": "不适用本办法",
    "procuring": "采购中",
    "implementing": "实施中",
}


def _proc_out(p: Procurement) -> dict[str, Any]:
    return {
        "id": str(p.id),
        "project_id": str(p.project_id),
        "submission": p.submission,
        "method": p.method,
        "started_on": p.started_on.isoformat(),
    }


def _contract_out(c: Contract) -> dict[str, Any]:
    return {
        "id": str(c.id),
        "project_id": str(c.project_id),
        "submission": c.submission,
        "supplier": c.supplier,
        "amount": c.amount,
        "signed_on": c.signed_on.isoformat(),
        "document_id": str(c.document_id),
    }


@router.post(
    "/projects/{project_id}/procurement",
    response_model=ProcurementRead,
    status_code=201,
    summary="启动采购（已立项或已备案的项目）",
    responses=PROBLEMS,
)
async def start_procurement(
    project_id: uuid.UUID,
    body: ProcurementStart,
    response: Response,
    session: DbSession,
    subject: Writer,
    idem: Idem,
) -> Any:
    if (replay := await idem.claim()) is not None:
        return replay
    project = await writable(session, project_id, subject)
    if project.status not in ("approved", "filed"):
        raise Problem.conflict(
            "project_not_approved",
            "项目未立项或备案，不能启动采购",
            f"项目当前状态为 {project.status}（{STATUS_LABEL.get(project.status, '')}），"
            "须为 approved（已立项）或 filed（已备案）",
        )
    proc = Procurement(
        id=uuid.uuid4(),
        tenant_id=subject.tenant,
        project_id=project.id,
        submission=project.submission,
        method=body.method,
        started_on=body.started_on,
        actor=actor_of(subject),
        created_at=datetime.now(UTC),
    )
    session.add(proc)
    project.status = "procuring"
    project.updated_at = datetime.now(UTC)
    await session.flush()
    await emit(
        session,
        tenant=subject.tenant,
        service="budget",
        aggregate="project",
        event="procurement_started",
        data={
            "tenant": subject.tenant,
            "project_id": str(project.id),
            "submission": project.submission,
            "procurement_id": str(proc.id),
            "method": body.method,
            "started_on": body.started_on.isoformat(),
            "reason": f"启动采购（{body.method}）",
        },
        actor=actor_of(subject),
    )
    out = _proc_out(proc)
    location = f"/v1/projects/{project.id}/procurement"
    response.headers["Location"] = location
    return await idem.save(201, out, location=location)


@router.get(
    "/projects/{project_id}/procurement",
    response_model=ProcurementRead,
    summary="项目的采购记录",
    responses=PROBLEMS,
)
async def get_procurement(
    project_id: uuid.UUID, subject: CurrentSubject, session: DbSession
) -> Any:
    project = await require_project(session, project_id)
    row = (
        await session.scalars(
            sa.select(Procurement).where(
                Procurement.project_id == project.id,
                Procurement.submission == project.submission,
            )
        )
    ).first()
    if row is None:
        raise Problem.not_found("采购记录", project_id)
    return _proc_out(row)


@router.post(
    "/projects/{project_id}/contracts",
    response_model=ContractRead,
    status_code=201,
    summary="登记合同（采购中或实施中的项目；首份合同使项目进入实施）",
    responses=PROBLEMS,
)
async def create_contract(
    project_id: uuid.UUID,
    body: ContractCreate,
    response: Response,
    session: DbSession,
    subject: Writer,
    idem: Idem,
) -> Any:
    if (replay := await idem.claim()) is not None:
        return replay
    project = await writable(session, project_id, subject)
    if project.status not in ("procuring", "implementing"):
        raise Problem.conflict(
            "procurement_not_started",
            "项目尚未启动采购，不能登记合同",
            f"项目当前状态为 {project.status}（{STATUS_LABEL.get(project.status, '')}），"
            "须先启动采购",
        )
    contract = Contract(
        id=uuid.uuid4(),
        tenant_id=subject.tenant,
        project_id=project.id,
        submission=project.submission,
        supplier=body.supplier,
        amount=body.amount,
        signed_on=body.signed_on,
        document_id=body.document_id,
        actor=actor_of(subject),
        created_at=datetime.now(UTC),
    )
    session.add(contract)
    project.status = "implementing"
    project.updated_at = datetime.now(UTC)
    await session.flush()
    await emit(
        session,
        tenant=subject.tenant,
        service="budget",
        aggregate="project",
        event="contracted",
        data={
            "tenant": subject.tenant,
            "project_id": str(project.id),
            "submission": project.submission,
            "contract_id": str(contract.id),
            "supplier": body.supplier,
            "amount": body.amount,
            "signed_on": body.signed_on.isoformat(),
            "document_id": str(body.document_id),
            "reason": f"签订合同：{body.supplier}，{body.amount}元",
        },
        actor=actor_of(subject),
    )
    out = _contract_out(contract)
    location = f"/v1/projects/{project.id}/contracts/{contract.id}"
    response.headers["Location"] = location
    return await idem.save(201, out, location=location)


@router.get(
    "/projects/{project_id}/contracts",
    response_model=list[ContractRead],
    summary="项目的合同",
    responses=PROBLEMS,
)
async def list_contracts(project_id: uuid.UUID, subject: CurrentSubject, session: DbSession) -> Any:
    project = await require_project(session, project_id)
    rows = await session.scalars(
        sa.select(Contract)
        .where(Contract.project_id == project.id)
        .order_by(Contract.signed_on, Contract.created_at)
    )
    return [_contract_out(c) for c in rows]
