"""Watching the deadlines: reminders, overdue notices and the cycles of yearly limits.

The sweep runs in the worker (:mod:`services.acceptance.workers`, every
``SWEEP_SECONDS``) and on demand (``POST /v1/deadlines/sweep``, the bureau for
its own jurisdiction). For each tenant, in that
tenant's own RLS context, it looks at the open deadlines and emits
``deadline.reminder`` once (``REMIND_BEFORE`` ahead of the last day) and
``deadline.overdue`` once (the day after the last day); the row records when
each went out, under ``FOR UPDATE SKIP LOCKED``, so two workers, or a worker
and a person, never send one twice. A granted extension moves the last day
and lets both go out again for the new day.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.deadlines import next_month_day, today_in_china
from libs.common.events import system_actor
from libs.common.periodic import for_each_tenant
from services.acceptance.deadlines import repository, schedule
from services.acceptance.deadlines.service import announce_deadline, open_deadline
from services.acceptance.models import Deadline, Project, tenants
from services.acceptance.rules import now

__all__ = ["ACTOR", "roll_forward", "sweep", "sweep_one", "sweep_tenant"]

#: The actor the worker's notices name (a system actor per tenant).
ACTOR = "acceptance.deadlines"


async def sweep_tenant(
    session: AsyncSession, tenant: str, today: date, actor: dict[str, Any]
) -> dict[str, int]:
    """Reminders and overdue notices owed in ``tenant`` on ``today`` (session in its context)."""
    rows = await repository.sweepable(session, tenant)
    counts = {"reminder": 0, "overdue": 0}
    for row in rows:
        owed = schedule.status_on(
            row.due_on,
            today,
            reminded=row.reminded_at is not None,
            overdue=row.overdue_at is not None,
        )
        if owed is None:
            continue
        project = await session.get(Project, row.project_id)
        if project is None or project.submission != row.submission:
            continue
        data: dict[str, Any] = {"as_of": today.isoformat()}
        if owed == "reminder":
            row.reminded_at = now()
            data["days_left"] = (row.due_on - today).days
        else:
            row.overdue_at, row.status = now(), "overdue"
            data["days_overdue"] = (today - row.due_on).days
            data["overseen_by"] = await _ancestors(session, tenant)
        await announce_deadline(session, project, row, owed, actor, **data)
        counts[owed] += 1
    return counts


async def roll_forward(
    session: AsyncSession, tenant: str, today: date, actor: dict[str, Any]
) -> int:
    """The next cycle of a yearly limit whose last day has passed while construction goes on.

    莱州 第二十四条 "于建设期内、每年年底前向项目审批部门提交": while the project is
    ``implementing`` each year end owes a report; the cycle after a passed one starts the
    next day. Cycles are created up to the first one not yet past (a project found years
    late gets every year it owed).
    """
    rows = await repository.yearly(session, tenant)
    latest: dict[tuple[uuid.UUID, int, str], Deadline] = {}
    for row in rows:
        latest[(row.project_id, row.submission, row.code)] = row
    made = 0
    for row in latest.values():
        project = await session.get(Project, row.project_id)
        if project is None or project.submission != row.submission:
            continue
        while row.original_due_on < today and project.state == "implementing":
            anchor_on = row.original_due_on + timedelta(days=1)
            due = next_month_day(anchor_on, str(row.month_day))
            nxt = await open_deadline(
                session,
                project,
                schedule.Planned(
                    code=row.code,
                    anchor=row.anchor,
                    anchor_on=anchor_on,
                    due_on=due,
                    calendar_known=True,
                    period=None,
                    month_day=row.month_day,
                    working_days=False,
                    article=row.article,
                    explanation=row.explanation,
                ),
            )
            await announce_deadline(
                session,
                project,
                nxt,
                "scheduled",
                actor,
                anchor=row.anchor,
                anchor_on=anchor_on.isoformat(),
                cycle_after=str(row.id),
            )
            made += 1
            row = nxt
    return made


async def _ancestors(session: AsyncSession, tenant: str) -> list[str]:
    """The tenants above ``tenant`` (the overseeing city first): named in the overdue event."""
    chain: list[str] = []
    code: str | None = tenant
    while code is not None and len(chain) < 5:
        parent = await session.scalar(
            sa.select(tenants.c.parent_code).where(tenants.c.code == code)
        )
        if parent:
            chain.append(str(parent))
        code = parent
    return chain


async def sweep(
    maker: async_sessionmaker[AsyncSession],
    codes: Iterable[str] | None = None,
    *,
    today: date | None = None,
    actor: dict[str, Any] | None = None,
) -> dict[str, dict[str, int]]:
    """Sweep ``codes`` (default: every tenant of the replica), one transaction per tenant."""
    day = today or today_in_china()

    async def one(session: AsyncSession, code: str) -> dict[str, int]:
        return await sweep_one(session, code, day, actor or dict(system_actor(ACTOR, code)))

    done = await for_each_tenant(maker, tenants, one, codes)
    return {code: counts for code, counts in done.items() if any(counts.values())}


async def sweep_one(
    session: AsyncSession, tenant: str, today: date, actor: dict[str, Any]
) -> dict[str, int]:
    """One tenant's round (session in that tenant's context): new cycles, then the notices."""
    await roll_forward(session, tenant, today, actor)
    return await sweep_tenant(session, tenant, today, actor)
