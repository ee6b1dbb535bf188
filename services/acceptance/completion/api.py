"""Routes of a project's acceptance: the record, completion, acceptance, operation.

Every step answers the project's whole acceptance record (what the console shows
next), and is replayed from its ``Idempotency-Key`` (:func:`take_step`, shared by
the review and evaluation routes).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.idempotency import IdempotencyGuard
from libs.common.service import DbSession
from services.acceptance.completion import repository, service
from services.acceptance.completion.schemas import (
    AcceptanceCreate,
    AcceptanceRecordRead,
    CompletionCreate,
    OperationCreate,
)
from services.acceptance.deps import (
    PROBLEMS,
    Idem,
    ProjectTarget,
    ReadableProject,
    WritableProject,
    run_once,
)

router = APIRouter(tags=["acceptance"], responses=PROBLEMS)


async def take_step(
    idem: IdempotencyGuard,
    session: AsyncSession,
    target: ProjectTarget,
    step: Callable[..., Awaitable[object]],
    *args: Any,
    status: int = 200,
    **fields: Any,
) -> BaseModel | Response:
    """``step(session, project, *args, **fields, actor=…)`` once per ``Idempotency-Key``.

    Answers the project's acceptance record after the step.
    """

    async def then_record() -> AcceptanceRecordRead:
        await step(session, target.project, *args, **fields, actor=target.actor)
        await session.flush()
        return await repository.record(session, target.project)

    return await run_once(idem, then_record, status=status)


@router.get(
    "/projects/{project_id}/acceptance",
    response_model=AcceptanceRecordRead,
    summary="项目的验收档案（清单、审核、验收、期限、评价）",
)
async def get_record(target: ReadableProject, session: DbSession) -> AcceptanceRecordRead:
    return await repository.record(session, target.project)


@router.post(
    "/projects/{project_id}/completion",
    response_model=AcceptanceRecordRead,
    summary="申报项目建成（实施中 → 已完工）",
)
async def complete(
    body: CompletionCreate, target: WritableProject, session: DbSession, idem: Idem
) -> BaseModel | Response:
    return await take_step(
        idem,
        session,
        target,
        service.declare_completion,
        completed_on=body.completed_on,
        note=body.note,
    )


@router.post(
    "/projects/{project_id}/acceptance",
    response_model=AcceptanceRecordRead,
    summary="记录验收（专家意见、验收报告、结论）",
)
async def accept(
    body: AcceptanceCreate, target: WritableProject, session: DbSession, idem: Idem
) -> BaseModel | Response:
    return await take_step(
        idem,
        session,
        target,
        service.record_acceptance,
        target.access.subject,
        outcome=body.outcome,
        held_on=body.held_on,
        report_document_id=body.report_document_id,
        expert_opinions=[o.model_dump() for o in body.expert_opinions],
        conclusion=body.conclusion,
    )


@router.post(
    "/projects/{project_id}/operation",
    response_model=AcceptanceRecordRead,
    summary="系统投入使用（已验收 → 运行中）",
)
async def operate(
    body: OperationCreate, target: WritableProject, session: DbSession, idem: Idem
) -> BaseModel | Response:
    return await take_step(
        idem, session, target, service.start_operation, in_operation_on=body.in_operation_on
    )
