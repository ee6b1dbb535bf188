"""Evaluation routes: reports after acceptance, and the 双随机 draw (commit, draw, verify)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from libs.common.auth import Access, Scope
from libs.common.errors import NotFound
from libs.common.routes import once
from libs.common.service import DbSession, actor_of
from services.acceptance.completion.schemas import AcceptanceRecordRead
from services.acceptance.deps import PROBLEMS, Drawer, Idem, ProjectStep, Reader
from services.acceptance.evaluations import draws, repository, service
from services.acceptance.evaluations.schemas import (
    DrawCreate,
    DrawListed,
    DrawRead,
    DrawVerificationRead,
    EvaluationCreate,
    RegisterEntryRead,
)
from services.acceptance.models import Draw

router = APIRouter(tags=["evaluation"], responses=PROBLEMS)


@router.post(
    "/projects/{project_id}/evaluations",
    response_model=AcceptanceRecordRead,
    status_code=201,
    summary="提交自评价、绩效评价、绩效后评估或标准",
)
async def evaluate(body: EvaluationCreate, step: ProjectStep) -> BaseModel | Response:
    return await step.take(
        service.submit_evaluation, step.target.access.subject, body=body, status=201
    )


async def _draw(session: DbSession, access: Access, draw_id: uuid.UUID, *, write: bool) -> Draw:
    row = await repository.get_draw(session, draw_id)
    if row is None:
        raise NotFound("抽取记录", draw_id)
    scope = Scope(tenant=row.tenant_id, what="抽取记录", name=f"{row.year}年度")
    if not write:
        access.check_read(scope)
        return row
    access.check(scope)
    # Locked after the check: FOR UPDATE would hide an overseen county's row (404, not 403).
    await session.refresh(row, with_for_update=True)
    return row


@router.post(
    "/draws",
    response_model=DrawRead,
    status_code=201,
    summary="承诺本年度“双随机”抽取：系统生成种子并公布其 SHA-256（种子与项目库不由调用方提供）",
)
async def commit_draw(
    body: DrawCreate, access: Drawer, session: DbSession, idem: Idem
) -> BaseModel | Response:
    async def committed() -> DrawRead:
        row = await draws.commit_draw(
            session,
            tenant=access.subject.tenant,
            year=body.year,
            count=body.count,
            evaluator_pool=body.evaluator_pool,
            evaluator_count=body.evaluator_count,
            actor=actor_of(access.subject),
        )
        return draws.draw_read(row)

    return await once(idem, committed, status=201)


@router.post(
    "/draws/{draw_id}/execution",
    response_model=DrawRead,
    summary="进行已承诺的抽取：此时从项目库固定可抽取项目，抽取后公开种子",
)
async def make_draw(
    draw_id: uuid.UUID, access: Drawer, session: DbSession, idem: Idem
) -> BaseModel | Response:
    async def drawn() -> DrawRead:
        row = await _draw(session, access, draw_id, write=True)
        return draws.draw_read(await draws.make_draw(session, row, actor=actor_of(access.subject)))

    return await once(idem, drawn)


@router.get(
    "/draw-register",
    response_model=list[RegisterEntryRead],
    summary="可抽取项目库：本辖区已验收且须开展绩效后评估的项目（抽取时据此固定）",
)
async def draw_register(access: Reader, session: DbSession) -> list[RegisterEntryRead]:
    return [
        RegisterEntryRead(project_id=p.id, name=p.name, state=p.state, article=article)
        for p, article in await repository.eligible(session, access.subject.tenant)
    ]


@router.get(
    "/draws",
    response_model=list[DrawListed],
    summary="抽取记录（本级及所监督的下级；抽中项目的名称与复核结果一并给出）",
)
async def list_draws(
    access: Reader,
    session: DbSession,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> list[DrawListed]:
    rows = await repository.draws(session, year=year)
    names = await repository.names_of(session, {p for row in rows for p in row.projects})
    return [
        DrawListed(
            **draws.draw_read(row).model_dump(),
            project_names={p: names[p] for p in row.projects if p in names},
            verification=draws.verify(row) if row.status == "drawn" else None,
        )
        for row in rows
    ]


@router.get("/draws/{draw_id}", response_model=DrawRead, summary="查看抽取记录")
async def get_draw(draw_id: uuid.UUID, access: Reader, session: DbSession) -> DrawRead:
    return draws.draw_read(await _draw(session, access, draw_id, write=False))


@router.get(
    "/draws/{draw_id}/verification",
    response_model=DrawVerificationRead,
    summary="按公开的种子与留存的项目库复核抽取结果，并核对种子承诺",
)
async def verify_draw(
    draw_id: uuid.UUID, access: Reader, session: DbSession
) -> DrawVerificationRead:
    return draws.verify(await _draw(session, access, draw_id, write=False))
