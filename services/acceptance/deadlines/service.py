"""Deadlines a decision's time limits set: planned, met, extended (no HTTP).

- :func:`plan_deadlines` records the deadlines that start when the project
  enters an anchor state (建设期, 建成, 验收, 投入使用; ``schedule.plan``);
- :func:`meet_deadline` closes the earliest open cycle a report or an
  acceptance meets (``schedule.MET_BY``), late or not;
- :func:`request_extension` / :func:`decide_extension`: 延期验收申请 (莱州
  第二十三条第二款 "不能按期申请验收的，应当向项目审批部门提出延期验收申请"); a
  granted extension moves the last day and lets both notices go out again.

Reminders and overdue notices are the sweep's (:mod:`.sweep`).
"""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.errors import Conflict, Invalid, NotFound
from services.acceptance.deadlines import repository, schedule
from services.acceptance.models import Deadline, Extension, Project, publisher
from services.acceptance.outbox import of_project
from services.acceptance.rules import now

__all__ = [
    "EXTENSIBLE",
    "deadline_data",
    "decide_extension",
    "get_extension",
    "meet_deadline",
    "plan_deadlines",
    "request_extension",
]

#: Deadlines a unit may ask to extend: 莱州 第二十三条第二款. Other time limits have no
#: extension in any of the regulations.
EXTENSIBLE = frozenset({"acceptance_due"})


async def open_deadline(
    session: AsyncSession, project: Project, planned: schedule.Planned
) -> Deadline:
    """Record ``planned`` as an open deadline of the project's current submission."""
    row = Deadline(
        **of_project(project),
        **asdict(planned),
        original_due_on=planned.due_on,
        status="open",
        created_at=now(),
    )
    session.add(row)
    await session.flush()
    return row


async def plan_deadlines(
    session: AsyncSession, project: Project, anchor: str, on: date, actor: dict[str, Any]
) -> list[Deadline]:
    """Record the deadlines the decision's time limits start at ``anchor`` (once each)."""
    limits = (project.decision or {}).get("time_limits") or []
    out: list[Deadline] = []
    for planned in schedule.plan(limits, anchor, on):
        if await repository.cycle_exists(session, project, planned.code):
            continue
        row = await open_deadline(session, project, planned)
        await announce_deadline(
            session, project, row, "scheduled", actor, anchor=anchor, anchor_on=on.isoformat()
        )
        out.append(row)
    return out


def deadline_data(project: Project, row: Deadline) -> dict[str, Any]:
    return {
        "project_id": str(project.id),
        "submission": project.submission,
        "project_name": project.name,
        "deadline_id": str(row.id),
        "code": row.code,
        "due_on": row.due_on.isoformat(),
        "calendar_known": row.calendar_known,
        "article": row.article,
        "policy": ((project.decision or {}).get("policy") or {}).get("document"),
        "explanation": row.explanation,
    }


async def announce_deadline(
    session: AsyncSession,
    project: Project,
    row: Deadline,
    event: str,
    actor: dict[str, Any],
    **extra: Any,
) -> None:
    """Record ``deadline.<event>`` of ``row``: :func:`deadline_data` with ``extra``."""
    await publisher.announce(
        session,
        "deadline",
        event,
        tenant=project.tenant_id,
        actor=actor,
        data={**deadline_data(project, row), **extra},
    )


async def meet_deadline(
    session: AsyncSession, project: Project, met_by: str, on: date, actor: dict[str, Any]
) -> None:
    """Close the deadlines ``met_by`` satisfies (schedule.MET_BY), late or not."""
    codes = [code for code, what in schedule.MET_BY.items() if what == met_by]
    rows = await repository.open_cycles(session, project, codes)
    # One report meets one cycle: the earliest still open (a yearly report is owed each year).
    earliest: dict[str, Deadline] = {}
    for row in rows:
        earliest.setdefault(row.code, row)
    for row in earliest.values():
        late = on > row.due_on
        row.status, row.met_on = "met", on
        await announce_deadline(
            session, project, row, "met", actor, met_on=on.isoformat(), late=late
        )


async def _deadline(session: AsyncSession, project: Project, code: str) -> Deadline:
    row = await repository.latest_cycle(session, project, code)
    if row is None:
        raise NotFound("期限", code)
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
        raise Conflict("not_extensible", "此期限不能申请延期", f"code: {code} 无延期规定")
    row = await _deadline(session, project, code)
    if row.status == "met":
        raise Conflict("deadline_met", "期限已完成", f"code: {code} 已于 {row.met_on} 完成")
    if until <= row.due_on:
        raise Invalid("until", f"延期后的期限须晚于当前期限 {row.due_on.isoformat()}")
    pending = await repository.pending_extension(session, row.id)
    if pending is not None:
        raise Conflict("extension_pending", "已有待审批的延期申请", f"extension: {pending}")
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
    await announce_deadline(
        session,
        project,
        row,
        "extension_requested",
        actor,
        extension_id=str(ext.id),
        requested_until=until.isoformat(),
        reason=reason,
    )
    return ext


async def get_extension(
    session: AsyncSession, extension_id: uuid.UUID
) -> tuple[Extension, Project]:
    """An extension of a visible tenant with its project (404 otherwise); lock it once admitted.

    Not locked here: FOR UPDATE sees only the caller's own tenant (RLS), so a locked
    read would make an overseen county's extension look missing instead of read-only.
    """
    ext = await session.get(Extension, extension_id)
    project = await session.get(Project, ext.project_id) if ext is not None else None
    if ext is None or project is None:
        raise NotFound("延期申请", extension_id)
    return ext, project


async def decide_extension(
    session: AsyncSession,
    ext: Extension,
    project: Project,
    *,
    outcome: str,
    opinion: str,
    actor: dict[str, Any],
) -> Extension:
    """项目审批部门 grants (the last day moves) or refuses the extension."""
    await session.refresh(ext, with_for_update=True)
    if ext.status != "requested":
        raise Conflict("extension_decided", "延期申请已审批", f"status: {ext.status}")
    row = await session.get(Deadline, ext.deadline_id, with_for_update=True)
    if row is None:  # written together with the extension; gone only if the schema was edited
        raise NotFound("期限", ext.deadline_id)
    ext.status = "granted" if outcome == "grant" else "refused"
    ext.decided_by, ext.decided_at, ext.opinion = actor, now(), opinion
    data = {
        "extension_id": str(ext.id),
        "opinion": opinion,
        "requested_until": ext.requested_until.isoformat(),
    }
    if ext.status == "granted" and row.status != "met":
        data["previous_due_on"] = row.due_on.isoformat()
        row.due_on = ext.requested_until
        row.status, row.reminded_at, row.overdue_at = "open", None, None
        data["due_on"] = row.due_on.isoformat()
    await announce_deadline(session, project, row, f"extension_{ext.status}", actor, **data)
    return ext
