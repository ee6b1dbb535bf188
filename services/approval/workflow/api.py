"""Work queues, workflows, opinions and experts (thin routes: parse, authorize, call, answer).

Who may act on a step is the step's role (the pack's actor), in the step's own
jurisdiction and, for a unit's step, the project's unit
(:func:`services.approval.workflow.scopes.check_step`, ADR 0008).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import Access
from libs.common.documents import check_attachments
from libs.common.http import problem_responses
from libs.common.routes import Cursor, PageLimit, once
from libs.common.service import DbSession, actor_of
from services.approval.deps import BureauDecider, Idem, Opine, Reader, StepWork
from services.approval.models import Step, Workflow, documents
from services.approval.workflow import experts, repository, service, views
from services.approval.workflow.schemas import (
    ExpertOpinionCreate,
    ExpertsUpdate,
    OpinionCreate,
    TaskList,
    WorkflowRead,
)
from services.approval.workflow.scopes import check_step, review_scope, step_scope

router = APIRouter(prefix="/v1", tags=["workflow"])


@router.get(
    "/tasks",
    summary="我的待办（按角色与辖区）",
    response_model=TaskList,
    responses=problem_responses(),
)
async def tasks(
    access: Reader,
    session: DbSession,
    limit: PageLimit = 100,
    sort: Annotated[str, Query(description="opened、name、amount；前加 - 为降序")] = "opened",
    cursor: Cursor = None,
) -> TaskList:
    """Open steps of the caller's jurisdiction for the caller's roles, a page at a time; an
    expert sees the reviews they are named in; an overseer sees the results its counties
    reported up (these two on the first page)."""
    return await views.tasks_for(session, access.subject, limit=limit, sort=sort, cursor=cursor)


@router.get(
    "/projects/{project_id}/workflow",
    summary="项目的审核流程（最近一次申报）",
    response_model=WorkflowRead,
    responses=problem_responses(),
)
async def project_workflow(
    project_id: uuid.UUID, access: Reader, session: DbSession
) -> WorkflowRead:
    return await _shown(
        session, access, await repository.latest_project_workflow(session, project_id)
    )


@router.get(
    "/workflows/{workflow_id}",
    summary="审核流程",
    response_model=WorkflowRead,
    responses=problem_responses(),
)
async def get_workflow(workflow_id: uuid.UUID, access: Reader, session: DbSession) -> WorkflowRead:
    return await _shown(session, access, await repository.get_workflow(session, workflow_id))


async def _shown(session: AsyncSession, access: Access, wf: Workflow) -> WorkflowRead:
    """``wf`` as the caller may see it; 404 for an expert it does not name (ADR 0008)."""
    access.check_read(await review_scope(session, wf, what="审核流程"))
    return await views.workflow_read(session, wf, access.subject)


async def _on_step(
    session: AsyncSession,
    access: Access,
    step_id: uuid.UUID,
    act: Callable[[Workflow, Step, list[str]], Awaitable[object]],
    *,
    attachments: Sequence[uuid.UUID] = (),
    authorize: Callable[[Access, Workflow, Step], None] = check_step,
) -> WorkflowRead:
    """Load, authorize, lock, check the cited documents, act; answer the workflow as it is now."""
    wf, step = await repository.step_with_workflow(session, step_id)
    authorize(access, wf, step)
    await repository.lock(session, wf, step)
    await check_attachments(session, documents, list(attachments), project_id=wf.project_id)
    await act(wf, step, [str(a) for a in attachments])
    return await views.workflow_read(session, wf, access.subject)


def _named_expert(access: Access, wf: Workflow, step: Step) -> None:
    # Only an expert named in this review sees it (404 otherwise, ADR 0008).
    access.check(step_scope(wf, step))


@router.post(
    "/steps/{step_id}/opinions",
    summary="办理审核环节：同意、退回修改或不同意",
    response_model=WorkflowRead,
    responses=problem_responses(s409="环节不可办理（已办结、专家意见未齐）"),
)
async def decide(
    step_id: uuid.UUID, body: OpinionCreate, access: StepWork, session: DbSession, idem: Idem
) -> BaseModel | JSONResponse:
    async def act(wf: Workflow, step: Step, attachments: list[str]) -> object:
        return await service.decide_step(
            session,
            wf,
            step,
            outcome=body.outcome,
            text=body.opinion,
            attachments=attachments,
            approved_amount=body.approved_amount,
            actor=actor_of(access.subject),
        )

    return await once(
        idem, lambda: _on_step(session, access, step_id, act, attachments=body.attachments)
    )


@router.put(
    "/steps/{step_id}/experts",
    summary="指定专家论证的评审专家（政务数据管理部门）",
    response_model=WorkflowRead,
    responses=problem_responses(s409="不是专家论证环节或专家已出具意见"),
)
async def assign_experts(
    step_id: uuid.UUID, body: ExpertsUpdate, access: BureauDecider, session: DbSession
) -> WorkflowRead:
    async def act(wf: Workflow, step: Step, _: list[str]) -> None:
        named = [e.model_dump() for e in body.experts]
        await experts.assign_experts(session, wf, step, named, actor_of(access.subject))

    return await _on_step(session, access, step_id, act)


@router.post(
    "/steps/{step_id}/expert-opinions",
    summary="专家出具评审意见",
    response_model=WorkflowRead,
    responses=problem_responses(s409="已出具意见或环节已办结"),
)
async def expert_opinion(
    step_id: uuid.UUID,
    body: ExpertOpinionCreate,
    access: Opine,
    session: DbSession,
    idem: Idem,
) -> BaseModel | JSONResponse:
    async def act(wf: Workflow, step: Step, attachments: list[str]) -> object:
        return await experts.record_expert_opinion(
            session,
            wf,
            step,
            user=access.subject.user,
            conclusion=body.conclusion,
            text=body.opinion,
            attachments=attachments,
            actor=actor_of(access.subject),
        )

    return await once(
        idem,
        lambda: _on_step(
            session, access, step_id, act, attachments=body.attachments, authorize=_named_expert
        ),
    )
