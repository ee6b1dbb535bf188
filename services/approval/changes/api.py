"""``/v1/projects/{id}/changes``: a unit's change requests and the project's list of them."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from libs.common.http import problem_responses
from libs.common.policies import Policies
from libs.common.routes import once
from libs.common.service import DbSession, actor_of
from services.approval.changes import repository, service
from services.approval.changes.schemas import ChangeCreate, ChangeList, ChangeRead
from services.approval.deps import Idem, Reader, WriteChanges
from services.approval.documents import repository as documents
from services.approval.workflow.scopes import review_scope

router = APIRouter(prefix="/v1", tags=["changes"])


@router.post(
    "/projects/{project_id}/changes",
    status_code=201,
    summary="申请调整或变更（调整、重大变更、逾期交付、终止）",
    response_model=ChangeRead,
    responses=problem_responses(s409="项目尚未立项或备案，或本办法未规定此类变更"),
)
async def request_change(
    project_id: uuid.UUID,
    body: ChangeCreate,
    access: WriteChanges,
    session: DbSession,
    policies: Policies,
    idem: Idem,
) -> BaseModel | JSONResponse:
    async def produce() -> ChangeRead:
        wf, doc = await documents.in_force(session, project_id)
        # A unit officer changes only its own unit's project; the city only reads its county's.
        access.check(await review_scope(session, wf))
        await documents.lock(session, doc)
        change = await service.request_change(
            session,
            wf=wf,
            doc=doc,
            request=body,
            policies=policies,
            actor=actor_of(access.subject),
        )
        return service.change_read(change)

    return await once(idem, produce, status=201)


@router.get(
    "/projects/{project_id}/changes",
    summary="项目的调整与变更（含累计调整金额）",
    response_model=ChangeList,
    responses=problem_responses(s409="项目尚未立项或备案"),
)
async def list_changes(project_id: uuid.UUID, access: Reader, session: DbSession) -> ChangeList:
    wf, doc = await documents.in_force(session, project_id)
    access.check_read(await review_scope(session, wf))
    return ChangeList(
        project_id=project_id,
        approved_amount=doc.approved_amount,
        cumulative_adjustment=await repository.cumulative_adjustments(session, project_id),
        items=[service.change_read(c) for c in await repository.of_project(session, project_id)],
    )
