"""What was procured and signed (budget service), and the bureau's termination of a project.

The project page loads the records as a fragment (htmx), like its documents:
the budget service learns of a project from events, so they may not exist yet.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.portal.client import ApiError
from services.portal.pages.forms import form_key, text
from services.portal.pages.project_actions import on_project_page
from services.portal.pages.projects import READERS
from services.portal.web import CurrentUser, User, render

router = APIRouter(include_in_schema=False)


async def _absent_as_none(user: User, path: str) -> Any:
    try:
        return await user.api.get("budget", path)
    except ApiError as exc:
        if exc.status == 404:  # none started yet, or the budget has not heard of the project
            return None
        raise


@router.get("/projects/{project_id}/implementation", response_class=HTMLResponse)
async def implementation(request: Request, user: CurrentUser, project_id: str) -> HTMLResponse:
    """采购与合同: the procurement record and every contract, with its archived text."""
    user.require(*READERS)
    error = None
    procurement, contracts = None, []
    try:
        procurement = await _absent_as_none(user, f"/v1/projects/{project_id}/procurement")
        contracts = await _absent_as_none(user, f"/v1/projects/{project_id}/contracts") or []
    except ApiError as exc:
        if exc.status == 401:
            raise
        error = exc.message
    return render(
        request,
        "projects/_implementation.html",
        user,
        project_id=project_id,
        procurement=procurement,
        contracts=contracts,
        implementation_error=error,
    )


@router.post("/projects/{project_id}/terminate", response_class=HTMLResponse)
async def terminate(request: Request, user: CurrentUser, project_id: str) -> Response:
    """已终止: the bureau ends a project, with its reason (registry POST …/terminate)."""
    user.require("bureau_officer")
    form = await request.form()

    async def act() -> None:
        body = {"reason": text(form, "reason", "终止原因")}
        await user.api.post(
            "registry",
            f"/v1/projects/{project_id}/terminate",
            body,
            key=form_key(form),
        )

    return await on_project_page(request, user, project_id, form, act, notice="terminated")
