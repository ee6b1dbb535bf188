"""The project's 档案 tab: the documents the archive filed by itself (issue 18).

立项批复 / 备案确认, 验收结论, evaluation report covers and 四性检测 reports, as the
archive lists them (``GET /v1/projects/{id}/official-documents``): one request,
each row linking to the archived PDF once it is filed.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from services.portal.client import answer_or_message
from services.portal.pages.projects import READERS
from services.portal.web import CurrentUser, render

router = APIRouter(include_in_schema=False)


@router.get("/projects/{project_id}/official-documents", response_class=HTMLResponse)
async def official_documents(request: Request, user: CurrentUser, project_id: str) -> HTMLResponse:
    user.require(*READERS)
    filings, error = await answer_or_message(
        user.api.get("archive", f"/v1/projects/{project_id}/official-documents"), []
    )
    return render(
        request,
        "archive/_filings.html",
        user,
        project_id=project_id,
        filings=filings,
        filings_error=error,
    )
