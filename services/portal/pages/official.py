"""The 立项批复 / 备案确认 as a 公文 in the browser: the print view and the archived PDF (issue 18).

The print view lays out, with the same template and stylesheet as the PDF
(:mod:`libs.gongwen`), the content the approval service composes; the PDF is
the copy the archive filed at the decision (found by its 文号 under the project).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from libs.gongwen import OfficialDocument, render_fragment, stylesheet
from services.portal.pages.projects import READERS
from services.portal.web import CurrentUser, User, render

router = APIRouter(include_in_schema=False)


async def _official(user: User, project_id: str) -> OfficialDocument:
    found = await user.api.get("approval", f"/v1/projects/{project_id}/approval/official")
    return OfficialDocument.model_validate(found)


async def _filed_copy(user: User, project_id: str, number: str) -> dict[str, Any] | None:
    documents = await user.api.get("archive", "/v1/documents", project_id=project_id, limit=500)
    for d in documents:
        if d["doc_type"] == "approval_document" and d.get("doc_number") == number:
            return dict(d)
    return None


@router.get("/projects/{project_id}/approval-document", response_class=HTMLResponse)
async def print_view(request: Request, user: CurrentUser, project_id: str) -> HTMLResponse:
    user.require(*READERS)
    doc = await _official(user, project_id)
    filed = await _filed_copy(user, project_id, doc.number)
    return render(
        request,
        "official/print.html",
        user,
        title=doc.title,
        project_id=project_id,
        document=render_fragment(doc),
        stylesheet=stylesheet(),
        filed=filed,
    )


@router.get("/projects/{project_id}/approval-document.pdf", response_model=None)
async def filed_pdf(
    request: Request, user: CurrentUser, project_id: str
) -> RedirectResponse | HTMLResponse:
    """The PDF the archive filed (its download, with the archive's fixity), once it is there."""
    user.require(*READERS)
    doc = await _official(user, project_id)
    filed = await _filed_copy(user, project_id, doc.number)
    if filed is None:
        return render(
            request,
            "error.html",
            None,
            404,
            title="公文尚未归档",
            message=f"{doc.number}：档案服务正在生成并归档 PDF，请稍后再试。",
        )
    return RedirectResponse(f"/documents/{filed['id']}/content", status_code=303)
