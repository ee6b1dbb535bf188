"""Routes of a project's acceptance: the record, completion, acceptance, operation.

Every step answers the project's whole acceptance record (what the console shows
next), and is replayed from its ``Idempotency-Key`` (:class:`~services.acceptance.deps.Step`,
shared by the review and evaluation routes).
"""

from __future__ import annotations

from fastapi import APIRouter, Response
from pydantic import BaseModel

from libs.common.service import DbSession
from services.acceptance.completion import repository, service
from services.acceptance.completion.schemas import (
    AcceptanceCreate,
    AcceptanceRecordRead,
    CompletionCreate,
    OperationCreate,
)
from services.acceptance.deps import PROBLEMS, ProjectStep, ReadableProject

router = APIRouter(tags=["acceptance"], responses=PROBLEMS)


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
async def complete(body: CompletionCreate, step: ProjectStep) -> BaseModel | Response:
    return await step.take(service.declare_completion, body=body)


@router.post(
    "/projects/{project_id}/acceptance",
    response_model=AcceptanceRecordRead,
    summary="记录验收（专家意见、验收报告、结论）",
)
async def accept(body: AcceptanceCreate, step: ProjectStep) -> BaseModel | Response:
    return await step.take(service.record_acceptance, step.target.access.subject, body=body)


@router.post(
    "/projects/{project_id}/operation",
    response_model=AcceptanceRecordRead,
    summary="系统投入使用（已验收 → 运行中）",
)
async def operate(body: OperationCreate, step: ProjectStep) -> BaseModel | Response:
    return await step.take(service.start_operation, body=body)
