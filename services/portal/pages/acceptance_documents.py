"""The 验收结论 and an evaluation report's cover as PDF, from the project's 验收 tab (issue 18).

The acceptance service typesets both from its record (GB/T 9704-2012 layout,
:mod:`services.acceptance.completion.documents`) and decides who may read them;
the console only passes the download through.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from services.portal.pages.streams import stream_through
from services.portal.web import CurrentUser

router = APIRouter(include_in_schema=False)


@router.get("/projects/{project_id}/acceptances/{acceptance_id}.pdf")
async def acceptance_pdf(user: CurrentUser, project_id: str, acceptance_id: str) -> Response:
    path = f"/v1/projects/{project_id}/acceptances/{acceptance_id}/pdf"
    return stream_through(*await user.api.stream("acceptance", path))


@router.get("/projects/{project_id}/evaluations/{evaluation_id}.pdf")
async def evaluation_cover_pdf(user: CurrentUser, project_id: str, evaluation_id: str) -> Response:
    path = f"/v1/projects/{project_id}/evaluations/{evaluation_id}/pdf"
    return stream_through(*await user.api.stream("acceptance", path))
