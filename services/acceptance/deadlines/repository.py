"""Queries on deadlines and extensions; RLS limits every one to the session's tenants."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.pagination import encode_sorted_cursor, keyset, sort_of
from services.acceptance.models import Deadline, Extension, Project

__all__ = [
    "cycle_exists",
    "for_project",
    "latest_cycle",
    "listing",
    "open_cycles",
    "pending_extension",
    "requested_extensions",
    "sweepable",
    "yearly",
]


def _current(project: Project) -> tuple[sa.ColumnElement[bool], ...]:
    """The filter of the project's deadlines of its current submission."""
    return (Deadline.project_id == project.id, Deadline.submission == project.submission)


async def cycle_exists(session: AsyncSession, project: Project, code: str) -> bool:
    """Whether ``code`` is already planned for the project's current submission."""
    found = await session.scalar(
        sa.select(Deadline.id).where(*_current(project), Deadline.code == code)
    )
    return found is not None


async def open_cycles(
    session: AsyncSession, project: Project, codes: Sequence[str]
) -> Sequence[Deadline]:
    """Unmet cycles of ``codes``, earliest first, locked (meeting one closes the earliest)."""
    return (
        await session.scalars(
            sa.select(Deadline)
            .where(
                *_current(project),
                Deadline.code.in_(codes),
                Deadline.status != "met",
            )
            .order_by(Deadline.original_due_on)
            .with_for_update()
        )
    ).all()


async def latest_cycle(session: AsyncSession, project: Project, code: str) -> Deadline | None:
    """The project's deadline ``code`` of its current submission, locked."""
    return (
        await session.scalars(
            sa.select(Deadline)
            .where(*_current(project), Deadline.code == code)
            .order_by(Deadline.original_due_on.desc())
            .with_for_update()
        )
    ).first()


async def pending_extension(session: AsyncSession, deadline_id: uuid.UUID) -> uuid.UUID | None:
    """The extension still waiting for a decision on this deadline, if any."""
    found: uuid.UUID | None = await session.scalar(
        sa.select(Extension.id).where(
            Extension.deadline_id == deadline_id, Extension.status == "requested"
        )
    )
    return found


async def for_project(session: AsyncSession, project_id: uuid.UUID) -> Sequence[Deadline]:
    """A project's deadlines by last day (the acceptance record shows them)."""
    return (
        await session.scalars(
            sa.select(Deadline).where(Deadline.project_id == project_id).order_by(Deadline.due_on)
        )
    ).all()


async def listing(
    session: AsyncSession,
    *,
    status: str | None,
    tenant: str | None,
    code: str | None,
    project_id: uuid.UUID | None,
    limit: int,
    sort: str = "due",
    cursor: str | None = None,
    late_on: date | None = None,
) -> tuple[list[tuple[Deadline, str | None]], str | None]:
    """One page of deadlines of the caller's visible tenants (RLS), filtered, by last day,
    each with its project's name (one query, not one per row); and the next page's cursor.
    Keyset on (due_on, id), so pages never repeat or skip a deadline. ``late_on``: only
    the deadlines not met whose last day is before that day, whether or not the sweep has
    marked them overdue yet."""
    sort_of(sort, ("due",), "排序方式无效：可按最后期限升序或降序排序")
    q = sa.select(Deadline, Project.name).outerjoin(Project, Project.id == Deadline.project_id)
    if status:
        q = q.where(Deadline.status == status)
    if late_on is not None:
        # What the sweep would mark overdue that day: the project's current submission only
        # (a resubmitted project's old deadlines are never swept).
        q = q.where(
            Deadline.status != "met",
            Deadline.due_on < late_on,
            Deadline.submission == Project.submission,
        )
    if tenant:
        q = q.where(Deadline.tenant_id == tenant)
    if code:
        q = q.where(Deadline.code == code)
    if project_id:
        q = q.where(Deadline.project_id == project_id)
    q = keyset(q, Deadline.due_on, Deadline.id, sort=sort, kind=date, cursor=cursor, limit=limit)
    rows = [(d, name) for d, name in (await session.execute(q)).all()]
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1][0]
    return rows[:limit], encode_sorted_cursor(sort, last.due_on, last.id)


async def requested_extensions(
    session: AsyncSession, *, limit: int
) -> list[tuple[Extension, str | None]]:
    """Extension requests still awaiting a decision in the visible tenants (RLS), oldest
    first, each with its project's name."""
    q = (
        sa.select(Extension, Project.name)
        .outerjoin(Project, Project.id == Extension.project_id)
        .where(Extension.status == "requested")
        .order_by(Extension.requested_at, Extension.id)
        .limit(limit)
    )
    return [(e, name) for e, name in (await session.execute(q)).all()]


async def sweepable(session: AsyncSession, tenant: str) -> Sequence[Deadline]:
    """Open and overdue deadlines of ``tenant`` not locked by another sweep."""
    return (
        await session.scalars(
            sa.select(Deadline)
            .where(Deadline.tenant_id == tenant, Deadline.status.in_(("open", "overdue")))
            .order_by(Deadline.due_on)
            .with_for_update(skip_locked=True)
        )
    ).all()


async def yearly(session: AsyncSession, tenant: str) -> Sequence[Deadline]:
    """Every cycle of the ``--MM-DD`` limits of ``tenant`` (oldest first), not locked elsewhere."""
    return (
        await session.scalars(
            sa.select(Deadline)
            .where(Deadline.tenant_id == tenant, Deadline.month_day.is_not(None))
            .order_by(Deadline.original_due_on)
            .with_for_update(skip_locked=True)
        )
    ).all()
