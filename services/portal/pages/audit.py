"""The audit trail of one project: every state change with who, when, why and which event.

The registry's history is the record served today (each row names the event
that drove it and its actor). The full cross-service event stream (opinions,
finance answers, archive actions) has no read API yet; this page shows what
the services serve rather than keeping a second store.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from services.portal.client import ApiError
from services.portal.web import CurrentUser, render

router = APIRouter(include_in_schema=False)


@router.get("/projects/{project_id}/trail", response_class=HTMLResponse)
async def trail(request: Request, user: CurrentUser, project_id: str) -> HTMLResponse:
    user.require("auditor", "overseer", "bureau_officer")
    project = await user.api.get("registry", f"/v1/projects/{project_id}")
    history = await user.api.get("registry", f"/v1/projects/{project_id}/history")
    entries: list[dict[str, Any]] = [
        {
            "at": h["at"],
            "source": "登记服务",
            "from_state": h.get("from_state"),
            "to_state": h["to_state"],
            "actor": h.get("actor") or {},
            "reason": h.get("reason"),
            "trigger": h.get("trigger"),
            "event_id": h.get("event_id"),
        }
        for h in history
    ]
    try:
        docs = await user.api.get("archive", "/v1/documents", project_id=project_id, limit=200)
    except ApiError as exc:
        if exc.status == 401:
            raise
        docs = []
    for d in docs:
        entries.append(
            {
                "at": d["created_at"],
                "source": "电子档案",
                "what": f"上传文件《{d['title']}》",
                "actor": {"id": d.get("created_by")},
                "reason": None,
                "trigger": "archive:document",
                "event_id": d["id"],
            }
        )
    entries.sort(key=lambda e: str(e["at"]))
    return render(
        request,
        "trail.html",
        user,
        title=f"审计轨迹：{project['name']}",
        project=project,
        entries=entries,
    )
