"""The audit trail of one project: every event of every service, in time order, page by page.

The registry keeps the trail from the whole event stream (ADR 0011) and serves
it already said in Chinese; this page asks for the project and one page of its
trail together (two requests per page, whatever the number of rows), and links
each cited article to the policy page the project was judged by.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from libs.vocab import actor_name
from services.portal.web import CurrentUser, render

router = APIRouter(include_in_schema=False)

#: Rows per page: a project's whole life is a few hundred events at most.
PAGE_SIZE = 100


@router.get("/projects/{project_id}/trail", response_class=HTMLResponse)
async def trail(
    request: Request,
    user: CurrentUser,
    project_id: str,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> HTMLResponse:
    user.require("auditor", "overseer", "bureau_officer")
    params: dict[str, Any] = {"limit": PAGE_SIZE}
    if cursor:
        params["cursor"] = cursor
    project, page = await asyncio.gather(
        user.api.get("registry", f"/v1/projects/{project_id}"),
        user.api.get("registry", f"/v1/projects/{project_id}/trail", **params),
    )
    entries = [{**e, "who": actor_name(e["actor"])} for e in page["items"]]
    return render(
        request,
        "trail.html",
        user,
        title=f"审计轨迹：{project['name']}",
        project=project,
        entries=entries,
        policy_id=page.get("policy_id"),
        next_cursor=page.get("next_cursor"),
        first_page=not cursor,
    )
