"""Evaluation routes: reports after acceptance and the 双随机 draws."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter

from libs.common.auth import CurrentSubject
from libs.common.errors import Problem
from libs.common.service import DbSession, actor_of
from services.acceptance import evaluations, guards
from services.acceptance.deps import PROBLEMS, Authorities, Idem
from services.acceptance.models import Draw
from services.acceptance.record import record
from services.acceptance.schemas import DrawIn, EvaluationIn

# Included by services.acceptance.api under its /v1 prefix.
router = APIRouter()


@router.post(
    "/projects/{project_id}/evaluations",
    tags=["evaluation"],
    summary="提交自评价、绩效评价、绩效后评估或标准",
    status_code=201,
    responses=PROBLEMS,
)
async def evaluate(
    project_id: uuid.UUID,
    body: EvaluationIn,
    subject: CurrentSubject,
    session: DbSession,
    idem: Idem,
) -> Any:
    if (replay := await idem.claim()) is not None:
        return replay
    project = await guards.get_project(session, project_id, lock=True)
    if project.tenant_id != subject.tenant:
        raise Problem.not_found("项目", project_id)
    await evaluations.submit_evaluation(
        session,
        project,
        subject,
        kind=body.kind,
        report_document_id=body.report_document_id,
        submitted_on=body.submitted_on,
        summary=body.summary,
        rating=body.rating,
        draw_id=body.draw_id,
        actor=actor_of(subject),
    )
    await session.flush()
    return await idem.save(201, await record(session, project))


@router.post(
    "/draws",
    tags=["evaluation"],
    summary="“双随机”抽取绩效后评估项目与评估人员（种子与项目库留存）",
    status_code=201,
    responses=PROBLEMS,
)
async def make_draw(body: DrawIn, subject: Authorities, session: DbSession, idem: Idem) -> Any:
    if (replay := await idem.claim()) is not None:
        return replay
    row = await evaluations.make_draw(
        session,
        tenant=subject.tenant,
        year=body.year,
        count=body.count,
        project_ids=body.project_ids,
        evaluator_pool=body.evaluator_pool,
        evaluator_count=body.evaluator_count,
        seed=body.seed,
        actor=actor_of(subject),
    )
    return await idem.save(201, evaluations.draw_dict(row))


async def _draw(session: DbSession, draw_id: uuid.UUID) -> Draw:
    row = await session.get(Draw, draw_id)
    if row is None:
        raise Problem.not_found("抽取记录", draw_id)
    return row


@router.get("/draws/{draw_id}", tags=["evaluation"], summary="查看抽取记录", responses=PROBLEMS)
async def get_draw(
    draw_id: uuid.UUID, subject: CurrentSubject, session: DbSession
) -> dict[str, Any]:
    return evaluations.draw_dict(await _draw(session, draw_id))


@router.get(
    "/draws/{draw_id}/verification",
    tags=["evaluation"],
    summary="按留存的种子与项目库复核抽取结果",
    responses=PROBLEMS,
)
async def verify_draw(
    draw_id: uuid.UUID, subject: CurrentSubject, session: DbSession
) -> dict[str, Any]:
    return evaluations.verify_draw(await _draw(session, draw_id))
