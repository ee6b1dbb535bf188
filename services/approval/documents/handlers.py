"""``govproj.budget.project.procurement_started.v1``: the project acted on its approval.

The day procurement started is kept on the approval document: an approval
acted on within its validity never expires (郁南 第十二条第（二）项). An event
without a usable project id or date is rejected (dead-lettered with the
reason), never silently dropped.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.events import Event, Reject
from services.approval.documents import repository


async def on_procurement_started(session: AsyncSession, event: Event) -> None:
    """Remember the day procurement started (it no longer expires)."""
    try:
        project_id = uuid.UUID(str(event.data["project_id"]))
    except (KeyError, ValueError) as exc:
        raise Reject(f"project_id: 缺少或不是 UUID（{exc}）") from exc
    raw = str(event.data.get("started_on") or event.time.date().isoformat())
    try:
        started = date.fromisoformat(raw[:10])
    except ValueError as exc:
        raise Reject(f"started_on: 不是有效日期：{raw!r}") from exc
    await repository.mark_started(session, project_id, started)
