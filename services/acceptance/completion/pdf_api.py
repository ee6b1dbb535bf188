"""The acceptance record and an evaluation report's cover as PDF (issue 18), for readers of the project."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from fastapi import APIRouter
from fastapi.responses import Response

from libs.common.errors import NotFound
from libs.common.service import DbSession
from libs.gongwen import OfficialDocument, render_pdf
from services.acceptance.completion import repository
from services.acceptance.completion.documents import compose_acceptance, compose_evaluation_cover
from services.acceptance.deps import PROBLEMS, ReadableProject
from services.acceptance.models import tenants

__all__ = ["router"]

router = APIRouter(tags=["acceptance"], responses=PROBLEMS)

_PDF: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        "description": "PDF（GB/T 9704-2012 版式）",
    }
}


async def _jurisdiction(session: DbSession, tenant: str) -> str | None:
    return await session.scalar(sa.select(tenants.c.name).where(tenants.c.code == tenant))


async def _download(document: OfficialDocument) -> Response:
    pdf = await asyncio.to_thread(render_pdf, document)
    # RFC 6266 filename*: the title is Chinese.
    disposition = f"attachment; filename*=UTF-8''{quote(document.title + '.pdf', safe='')}"
    return Response(pdf, media_type="application/pdf", headers={"Content-Disposition": disposition})


@router.get(
    "/projects/{project_id}/acceptances/{acceptance_id}/pdf",
    response_class=Response,
    summary="验收结论（PDF）",
    responses=_PDF,
)
async def acceptance_pdf(
    acceptance_id: uuid.UUID, target: ReadableProject, session: DbSession
) -> Response:
    record = await repository.record(session, target.project)
    found = next((a for a in record.acceptances if a.id == acceptance_id), None)
    if found is None:
        raise NotFound("验收记录", acceptance_id)
    place = await _jurisdiction(session, target.project.tenant_id)
    return await _download(compose_acceptance(record, found, jurisdiction=place))


@router.get(
    "/projects/{project_id}/evaluations/{evaluation_id}/pdf",
    response_class=Response,
    summary="评价报告封面（PDF）",
    responses=_PDF,
)
async def evaluation_cover_pdf(
    evaluation_id: uuid.UUID, target: ReadableProject, session: DbSession
) -> Response:
    record = await repository.record(session, target.project)
    found = next((e for e in record.evaluations if e.id == evaluation_id), None)
    if found is None:
        raise NotFound("评价记录", evaluation_id)
    place = await _jurisdiction(session, target.project.tenant_id)
    return await _download(compose_evaluation_cover(record, found, jurisdiction=place))
