"""消息中心: the person's messages from the registry (GET/POST /v1/notifications…).

The header's count is a small fragment fetched after the page (htmx), so a
page never waits for it and a registry that does not answer leaves the link
without a number. Opening a message marks it read and goes to its project
(POST, then redirect: the page after shows the new count).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.portal.client import ApiError, answer_or_message
from services.portal.web import CurrentUser, render

router = APIRouter(include_in_schema=False)


@router.get("/notifications", response_class=HTMLResponse)
async def message_centre(
    request: Request,
    user: CurrentUser,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    unread: bool = False,
) -> HTMLResponse:
    params: dict[str, Any] = {"limit": 20, "unread": unread}
    if cursor:
        params["cursor"] = cursor
    page = await user.api.get("registry", "/v1/notifications", **params)
    return render(
        request, "notifications/list.html", user, title="消息中心", page=page, unread_only=unread
    )


@router.get("/notifications/badge", response_class=HTMLResponse)
async def badge(request: Request, user: CurrentUser) -> HTMLResponse:
    counted, _ = await answer_or_message(user.api.get("registry", "/v1/notifications/unread"), None)
    unread = counted["unread"] if counted is not None else None
    return render(request, "notifications/_badge.html", user, unread=unread)


@router.post("/notifications/{notification_id}/open", response_class=HTMLResponse)
async def open_one(request: Request, user: CurrentUser, notification_id: str) -> Response:
    try:
        item = await user.api.post("registry", f"/v1/notifications/{notification_id}/read")
    except ApiError as exc:
        if exc.status == 401:
            raise
        return render(
            request, "error.html", user, exc.status, title="操作未完成", message=exc.message
        )
    target = f"/projects/{item['project_id']}" if item.get("project_id") else "/notifications"
    return RedirectResponse(target, status_code=303)


@router.post("/notifications/read-all", response_class=HTMLResponse)
async def read_all(request: Request, user: CurrentUser) -> Response:
    await user.api.post("registry", "/v1/notifications/read-all")
    return RedirectResponse("/notifications", status_code=303)
