"""The consumed event that starts the 建设期 deadlines: the first contract signed."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.events import Event
from services.acceptance.deadlines.service import plan_deadlines
from services.acceptance.replica import local_date, project_for_event, stale
from services.acceptance.rules import now

__all__ = ["on_contracted"]


async def on_contracted(session: AsyncSession, event: Event) -> None:
    """``govproj.budget.project.contracted.v1``: its ``signed_on`` is the day construction began.

    Only the first contract counts (procuring → implementing); the 建设期 limits
    (莱州 第二十四条 建设期内每年年底前) are planned from that day.
    """
    project = await project_for_event(session, event)
    if stale(project, event) or project.implementing_on is not None:
        return
    try:
        signed_on = date.fromisoformat(str(event.data.get("signed_on")))
    except ValueError:
        # The budget service always sends it; an older event without it counts from its time.
        signed_on = local_date(event.time)
    project.implementing_on = signed_on
    project.updated_at = now()
    await plan_deadlines(session, project, "implementing", signed_on, dict(event.actor))
