"""Project documents: the list, the upload (streamed through to the archive), the download."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse

from services.portal.client import answer_or_message
from services.portal.pages.streams import forward_upload, stream_through
from services.portal.web import CurrentUser, render

router = APIRouter(include_in_schema=False)


@router.get("/projects/{project_id}/documents", response_class=HTMLResponse)
async def project_documents(request: Request, user: CurrentUser, project_id: str) -> HTMLResponse:
    docs, error = await answer_or_message(
        user.api.get("archive", "/v1/documents", project_id=project_id, limit=200), []
    )
    return render(
        request, "projects/_documents.html", user, project_id=project_id, docs=docs, doc_error=error
    )


@router.post("/projects/{project_id}/documents")
async def upload_document(request: Request, user: CurrentUser, project_id: str) -> JSONResponse:
    """Stream the browser's multipart body to the archive unchanged (no copy on disk or in memory).

    The browser's progress bar counts the bytes it sends here; the archive
    answers once it holds them all with their SM3 and SHA-256.
    """
    if not user.has("unit_officer", "bureau_officer"):
        return JSONResponse(
            {"title": "您的角色无权上传文件", "detail": "仅建设单位和政务服务数据管理部门可以上传"},
            status_code=403,
        )
    return await forward_upload(request, user, "/v1/documents")


@router.get("/documents/{document_id}/content")
async def download(user: CurrentUser, document_id: str) -> StreamingResponse:
    return stream_through(*await user.api.stream("archive", f"/v1/documents/{document_id}/content"))
