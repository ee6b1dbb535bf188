"""Watching the deadlines: the periodic sweep, and 延期验收申请.

The sweep runs in the worker (every ``SWEEP_SECONDS``, first shortly after
start) and on demand (``POST /v1/deadlines/sweep``). For each tenant, in that
tenant's own RLS context, it looks at the open deadlines and emits
``deadline.reminder`` once (``REMIND_BEFORE`` ahead of the last day) and
``deadline.overdue`` once (the day after the last day); the row records when
each went out, under ``FOR UPDATE SKIP LOCKED``, so two workers, or a worker
and a person, never send one twice. A granted extension moves the last day
and lets both go out again for the new day.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.deadlines import next_month_day, today_in_china
from libs.common.errors import Problem
from libs.common.events import emit, system_actor
from libs.common.periodic import for_each_tenant, start_periodic
from services.acceptance import schedule
from services.acceptance.models import Deadline, Extension, Project, tenants
from services.acceptance.records import SERVICE, deadline_data, now

log = logging.getLogger(__name__)

SWEEP_SECONDS = float(os.environ.get("GOVPROJ_ACCEPTANCE_SWEEP_SECONDS", "3600"))
ACTOR = "acceptance.deadlines"
#: Deadlines a unit may ask to extend: 莱州 第二十三条第二款 "不能按期申请验收的，应当向项目审批部门
#: 提出延期验收申请". Other time limits have no extension in any of the regulations.
EXTENSIBLE = frozenset({"acceptance_due"})


async def sweep_tenant(
    session: AsyncSession, tenant: str, today: date, actor: dict[str, Any]
) -> dict[str, int]:
    """Reminders and overdue notices owed in ``tenant`` on ``today`` (session in its context)."""
    rows = (
        await session.scalars(
            sa.select(Deadline)
            .where(Deadline.tenant_id == tenant, Deadline.status.in_(("open", "overdue")))
            .order_by(Deadline.due_on)
            .with_for_update(skip_locked=True)
        )
    ).all()
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
        data = {**deadline_data(project, row), "as_of": today.isoformat()}
        if owed == "reminder":
            row.reminded_at = now()
            data["days_left"] = (row.due_on - today).days
        else:
            row.overdue_at, row.status = now(), "overdue"
            data["days_overdue"] = (today - row.due_on).days
            data["overseen_by"] = await _ancestors(session, tenant)
        await emit(
            session,
            tenant=tenant,
            service=SERVICE,
            aggregate="deadline",
            event=owed,
            data=data,
            actor=actor,
        )
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
    rows = (
        await session.scalars(
            sa.select(Deadline)
            .where(Deadline.tenant_id == tenant, Deadline.month_day.is_not(None))
            .order_by(Deadline.original_due_on)
            .with_for_update(skip_locked=True)
        )
    ).all()
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
            nxt = Deadline(
                id=uuid.uuid4(),
                tenant_id=tenant,
                project_id=row.project_id,
                submission=row.submission,
                code=row.code,
                anchor=row.anchor,
                anchor_on=anchor_on,
                period=None,
                month_day=row.month_day,
                working_days=False,
                due_on=due,
                original_due_on=due,
                calendar_known=True,
                article=row.article,
                explanation=row.explanation,
                status="open",
                created_at=now(),
            )
            session.add(nxt)
            await session.flush()
            await emit(
                session,
                tenant=tenant,
                service=SERVICE,
                aggregate="deadline",
                event="scheduled",
                data={
                    **deadline_data(project, nxt),
                    "anchor": row.anchor,
                    "anchor_on": anchor_on.isoformat(),
                    "cycle_after": str(row.id),
                },
                actor=actor,
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
        who = actor or dict(system_actor(ACTOR, code))
        await roll_forward(session, code, day, who)
        return await sweep_tenant(session, code, day, who)

    done = await for_each_tenant(maker, tenants, one, codes)
    return {code: counts for code, counts in done.items() if any(counts.values())}


async def start_sweeper(app: FastAPI) -> None:
    """Start-up hook: the sweep runs where the workers run (``govproj work``, or serve with workers)."""
    task = start_periodic(
        app,
        "acceptance-deadline-sweep",
        SWEEP_SECONDS,
        lambda: sweep(app.state.sessionmaker),
    )
    if task is not None:
        app.state.deadline_sweeper = task


# ---- extensions (延期验收申请) --------------------------------------------------------


async def _deadline(session: AsyncSession, project: Project, code: str) -> Deadline:
    row = (
        await session.scalars(
            sa.select(Deadline)
            .where(
                Deadline.project_id == project.id,
                Deadline.submission == project.submission,
                Deadline.code == code,
            )
            .with_for_update()
        )
    ).first()
    if row is None:
        raise Problem.not_found("期限", code)
    return row


async def request_extension(
    session: AsyncSession,
    project: Project,
    *,
    code: str,
    until: date,
    reason: str,
    actor: dict[str, Any],
) -> Extension:
    if code not in EXTENSIBLE:
        raise Problem.conflict("not_extensible", "此期限不能申请延期", f"code: {code} 无延期规定")
    row = await _deadline(session, project, code)
    if row.status == "met":
        raise Problem.conflict("deadline_met", "期限已完成", f"code: {code} 已于 {row.met_on} 完成")
    if until <= row.due_on:
        raise Problem.invalid("until", f"延期后的期限须晚于当前期限 {row.due_on.isoformat()}")
    pending = await session.scalar(
        sa.select(Extension.id).where(
            Extension.deadline_id == row.id, Extension.status == "requested"
        )
    )
    if pending is not None:
        raise Problem.conflict("extension_pending", "已有待审批的延期申请", f"extension: {pending}")
    ext = Extension(
        id=uuid.uuid4(),
        tenant_id=project.tenant_id,
        deadline_id=row.id,
        project_id=project.id,
        requested_until=until,
        reason=reason,
        status="requested",
        requested_by=actor,
        requested_at=now(),
    )
    session.add(ext)
    await session.flush()
    await emit(
        session,
        tenant=project.tenant_id,
        service=SERVICE,
        aggregate="deadline",
        event="extension_requested",
        data={
            **deadline_data(project, row),
            "extension_id": str(ext.id),
            "requested_until": until.isoformat(),
            "reason": reason,
        },
        actor=actor,
    )
    return ext


async def decide_extension(
    session: AsyncSession,
    extension_id: uuid.UUID,
    tenant: str,
    *,
    outcome: str,
    opinion: str,
    actor: dict[str, Any],
) -> Extension:
    """项目审批部门 grants (the last day moves) or refuses the extension."""
    ext = await session.get(Extension, extension_id, with_for_update=True)
    if ext is None or ext.tenant_id != tenant:
        raise Problem.not_found("延期申请", extension_id)
    if ext.status != "requested":
        raise Problem.conflict("extension_decided", "延期申请已审批", f"status: {ext.status}")
    row = await session.get(Deadline, ext.deadline_id, with_for_update=True)
    project = await session.get(Project, ext.project_id)
    assert row is not None and project is not None  # written together with the extension
    ext.status = "granted" if outcome == "grant" else "refused"
    ext.decided_by, ext.decided_at, ext.opinion = actor, now(), opinion
    data = {
        **deadline_data(project, row),
        "extension_id": str(ext.id),
        "opinion": opinion,
        "requested_until": ext.requested_until.isoformat(),
    }
    if ext.status == "granted" and row.status != "met":
        data["previous_due_on"] = row.due_on.isoformat()
        row.due_on = ext.requested_until
        row.status, row.reminded_at, row.overdue_at = "open", None, None
        data["due_on"] = row.due_on.isoformat()
    await emit(
        session,
        tenant=tenant,
        service=SERVICE,
        aggregate="deadline",
        event=f"extension_{ext.status}",
        data=data,
        actor=actor,
    )
    return ext
