"""Routes of procurement and contracts (thin: authorize, call :mod:`.service`, answer)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter

from libs.common.errors import NotFound
from libs.common.service import DbSession
from services.budget.deps import PROBLEMS, ImplementationWriting, Reader, readable_project
from services.budget.procurement import repository, service
from services.budget.procurement.schemas import (
    ContractCreate,
    ContractRead,
    ProcurementCreate,
    ProcurementRead,
)

router = APIRouter(prefix="/v1", tags=["procurement"], responses=PROBLEMS)


@router.post(
    "/projects/{project_id}/procurement",
    response_model=ProcurementRead,
    status_code=201,
    summary="启动采购（已立项或已备案的项目）",
)
async def start_procurement(
    project_id: uuid.UUID, body: ProcurementCreate, write: ImplementationWriting
) -> Any:
    return await write.run(
        project_id,
        service.start_procurement,
        body,
        location=lambda _: f"/v1/projects/{project_id}/procurement",
    )


@router.get(
    "/projects/{project_id}/procurement",
    response_model=ProcurementRead,
    summary="项目的采购记录",
)
async def get_procurement(project_id: uuid.UUID, access: Reader, session: DbSession) -> Any:
    project = await readable_project(session, project_id, access)
    row = await repository.procurement_of(session, project)
    if row is None:
        raise NotFound("采购记录", project_id)
    return service.procurement_out(row)


@router.post(
    "/projects/{project_id}/contracts",
    response_model=ContractRead,
    status_code=201,
    summary="登记合同（采购中或实施中的项目；首份合同使项目进入实施）",
)
async def create_contract(
    project_id: uuid.UUID, body: ContractCreate, write: ImplementationWriting
) -> Any:
    return await write.run(
        project_id,
        service.record_contract,
        body,
        location=lambda out: f"/v1/projects/{project_id}/contracts/{out['id']}",
    )


@router.get(
    "/projects/{project_id}/contracts",
    response_model=list[ContractRead],
    summary="项目的合同",
)
async def list_contracts(project_id: uuid.UUID, access: Reader, session: DbSession) -> Any:
    project = await readable_project(session, project_id, access)
    return [service.contract_out(c) for c in await repository.contracts_of(session, project)]
