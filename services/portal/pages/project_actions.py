"""A form on the project page: do the change, then show the project again (POST-redirect-GET)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from services.portal.pages.forms import post_redirect_get
from services.portal.pages.projects import project_page
from services.portal.web import User


async def on_project_page(
    request: Request,
    user: User,
    project_id: str,
    form: FormData,
    act: Callable[[], Awaitable[Any]],
    *,
    notice: str,
    fields: Mapping[str, str] | None = None,
) -> Response:
    """``act``, then the project page with ``notice``; a refusal is shown there, the form kept."""

    async def again(message: str, status: int) -> Response:
        return await project_page(
            request, user, project_id, error=message, status=status, values=dict(form)
        )

    return await post_redirect_get(
        act, then=f"/projects/{project_id}?notice={notice}", again=again, fields=fields
    )
