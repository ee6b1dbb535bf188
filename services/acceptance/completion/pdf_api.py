"""The acceptance record and an evaluation report's cover as PDF (issue 18), for readers of the project."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import quote

from fastapi import APIRouter
from fastapi.responses import Response

from libs.common.errors import NotFound
from libs.common.service import DbSession
from libs.gongwen import OfficialDocument, render_pdf
from services.acceptance.completion import repository
from services.acceptance.completion.documents import (
    compose_acceptance,
    compose_evaluation_cover,
    jurisdiction_of,
)
from services.acceptance.completion.schemas import AcceptanceRead, AcceptanceRecordRead
from services.acceptance.deps import PROBLEMS, ProjectTarget, ReadableProject
from services.acceptance.evaluations.schemas import EvaluationRead

__all__ = ["router"]

router = APIRouter(tags=["acceptance"], responses=PROBLEMS)

Row = TypeVar("Row", AcceptanceRead, EvaluationRead)

_PDF: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        "description": "PDF（GB/T 9704-2012 版式）",
    }
}


async def _download(document: OfficialDocument) -> Response:
    pdf = await asyncio.to_thread(render_pdf, document)
    # RFC 6266 filename*: the title is Chinese.
    disposition = f"attachment; filename*=UTF-8''{quote(document.title + '.pdf', safe='')}"
    return Response(pdf, media_type="application/pdf", headers={"Content-Disposition": disposition})


async def _record_pdf(
    session: DbSession,
    target: ProjectTarget,
    rows: Callable[[AcceptanceRecordRead], list[Row]],
    ident: uuid.UUID,
    what: str,
    compose: Callable[..., OfficialDocument],
) -> Response:
    """The PDF ``compose`` makes of the row ``ident`` among the record's ``rows``; 404 ``what``."""
    record = await repository.record(session, target.project)
    row = next((r for r in rows(record) if r.id == ident), None)
    if row is None:
        raise NotFound(what, ident)
    place = await jurisdiction_of(session, target.project.tenant_id)
    return await _download(compose(record, row, jurisdiction=place))


@router.get(
    "/projects/{project_id}/acceptances/{acceptance_id}/pdf",
    response_class=Response,
    summary="验收结论（PDF）",
    responses=_PDF,
)
async def acceptance_pdf(
    acceptance_id: uuid.UUID, target: ReadableProject, session: DbSession
) -> Response:
    return await _record_pdf(
        session, target, lambda r: r.acceptances, acceptance_id, "验收记录", compose_acceptance
    )


@router.get(
    "/projects/{project_id}/evaluations/{evaluation_id}/pdf",
    response_class=Response,
    summary="评价报告封面（PDF）",
    responses=_PDF,
)
async def evaluation_cover_pdf(
    evaluation_id: uuid.UUID, target: ReadableProject, session: DbSession
) -> Response:
    return await _record_pdf(
        session,
        target,
        lambda r: r.evaluations,
        evaluation_id,
        "评价记录",
        compose_evaluation_cover,
    )
