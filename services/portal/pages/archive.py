"""Archive packages and 四性检测 on the project page: long work, shown while it runs.

Packaging (BagIt with SM3 over every file) and the 四性检测 run inside one
request each; the page marks the section busy and shows an indeterminate
progress bar with what is being done until the archive answers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from libs.vocab import CHECK_OUTCOMES, CHECK_STAGES
from services.portal.client import ApiError
from services.portal.web import CurrentUser, User, render

router = APIRouter(include_in_schema=False)


async def _section(
    request: Request,
    user: User,
    project_id: str,
    *,
    report: dict[str, Any] | None = None,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    try:
        packages = await user.api.get("archive", f"/v1/projects/{project_id}/packages")
    except ApiError as exc:
        if exc.status == 401:
            raise
        packages, error = [], error or exc.message
    return render(
        request,
        "projects/_archive.html",
        user,
        status,
        project_id=project_id,
        packages=packages,
        report=report,
        archive_error=error,
        STAGE_LABELS=CHECK_STAGES,
        CHECK_OUTCOMES=CHECK_OUTCOMES,
    )


@router.get("/projects/{project_id}/archive", response_class=HTMLResponse)
async def archive_section(request: Request, user: CurrentUser, project_id: str) -> HTMLResponse:
    return await _section(request, user, project_id)


@router.post("/projects/{project_id}/packages", response_class=HTMLResponse)
async def make_package(request: Request, user: CurrentUser, project_id: str) -> HTMLResponse:
    try:
        await user.api.post("archive", f"/v1/projects/{project_id}/packages", {})
    except ApiError as exc:
        if exc.status == 401:
            raise
        # htmx swaps only 2xx answers: the refusal is shown in the section, with a 200.
        return await _section(request, user, project_id, error=exc.message)
    return await _section(request, user, project_id)


@router.post("/packages/{package_id}/checks", response_class=HTMLResponse)
async def run_checks(request: Request, user: CurrentUser, package_id: str) -> HTMLResponse:
    form = await request.form()
    project_id = str(form.get("project_id") or "")
    stage = str(form.get("stage") or "transfer")
    if stage not in CHECK_STAGES:
        return await _section(request, user, project_id, error="请选择检测环节")
    try:
        report = await user.api.post(
            "archive", f"/v1/packages/{package_id}/checks", {"stage": stage}
        )
    except ApiError as exc:
        if exc.status == 401:
            raise
        return await _section(request, user, project_id, error=exc.message)
    return await _section(request, user, project_id, report=report)


@router.get("/check-reports/{report_id}/print")
async def print_report(user: CurrentUser, report_id: str) -> Response:
    r, body = await user.api.stream("archive", f"/v1/check-reports/{report_id}/print")

    async def chunks() -> AsyncIterator[bytes]:
        try:
            async for chunk in body:
                yield chunk
        finally:
            await r.aclose()

    return StreamingResponse(
        chunks(), media_type=r.headers.get("content-type", "text/html; charset=utf-8")
    )
