"""Catalog queries. Row-level security limits each to the caller's visible tenants."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.errors import NotFound
from libs.common.pagination import SortValue, encode_sorted_cursor, keyset, sort_of
from services.registry.models import Project, ProjectSystem, System


async def find(session: AsyncSession, system_id: uuid.UUID) -> System | None:
    """A system the transaction may see, or None."""
    return await session.get(System, system_id)


async def get(session: AsyncSession, system_id: uuid.UUID) -> System:
    """The system, or 404 (missing, or of a tenant the caller cannot read)."""
    system = await find(session, system_id)
    if system is None:
        raise NotFound("政务信息系统", system_id)
    return system


async def get_for_update(session: AsyncSession, system_id: uuid.UUID) -> System | None:
    """The system locked FOR UPDATE, or None: not visible, or (row-level security's
    write policy) one the caller only oversees."""
    return await session.get(System, system_id, with_for_update=True)


async def lock(session: AsyncSession, system: System) -> System:
    """Lock the row for a change (after authorising: FOR UPDATE applies the write policy)."""
    await session.refresh(system, with_for_update=True)
    return system


async def name_taken(session: AsyncSession, *, tenant: str, name: str) -> bool:
    found = await session.scalar(
        sa.select(sa.func.count())
        .select_from(System)
        .where(System.tenant_id == tenant, System.name == name)
    )
    return bool(found)


async def projects_of(
    session: AsyncSession, system_id: uuid.UUID
) -> list[tuple[uuid.UUID, str, str | None, str | None]]:
    """(project id, relation, name, state) of every project linking the system, in one
    query: the page names them without asking once per project. A project the caller may
    not see (RLS) comes with no name and no state."""
    rows = await session.execute(
        sa.select(ProjectSystem.project_id, ProjectSystem.relation, Project.name, Project.state)
        .outerjoin(Project, Project.id == ProjectSystem.project_id)
        .where(ProjectSystem.system_id == system_id)
        .order_by(ProjectSystem.project_id)
    )
    return [(pid, relation, name, state) for pid, relation, name, state in rows.all()]


async def count_live_at(session: AsyncSession, unit_id: uuid.UUID, at: datetime) -> int:
    """Systems of the unit registered and not yet decommissioned at instant ``at``."""
    return int(
        await session.scalar(
            sa.select(sa.func.count())
            .select_from(System)
            .where(
                System.unit_id == unit_id,
                System.registered_at < at,
                sa.or_(System.decommissioned_at.is_(None), System.decommissioned_at >= at),
            )
        )
        or 0
    )


async def count_live(session: AsyncSession, unit_id: uuid.UUID) -> int:
    """Systems of the unit not decommissioned now."""
    return int(
        await session.scalar(
            sa.select(sa.func.count())
            .select_from(System)
            .where(System.unit_id == unit_id, System.state != "decommissioned")
        )
        or 0
    )


# The orders the catalog may take (?sort=, "-" for descending): column and its cursor type.
SORTS: dict[str, tuple[Any, type[SortValue]]] = {
    "name": (System.name, str),
    "registered": (System.registered_at, datetime),
}


async def list_(
    session: AsyncSession,
    *,
    tenant: str | None,
    unit_id: uuid.UUID | None,
    state: str | None,
    sort: str = "name",
    cursor: str | None = None,
    limit: int = 200,
) -> tuple[list[System], str | None]:
    """One page of visible systems in the order ``sort`` and the cursor of the next
    (None on the last); keyset on (the sort column, id), so rows never repeat or skip."""
    key, _ = sort_of(sort, SORTS, "排序方式无效：可按系统名称或登记时间排序")
    column, kind = SORTS[key]
    stmt = sa.select(System)
    if tenant is not None:
        stmt = stmt.where(System.tenant_id == tenant)
    if unit_id is not None:
        stmt = stmt.where(System.unit_id == unit_id)
    if state is not None:
        stmt = stmt.where(System.state == state)
    stmt = keyset(stmt, column, System.id, sort=sort, kind=kind, cursor=cursor, limit=limit)
    rows = list((await session.scalars(stmt)).all())
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    return rows[:limit], encode_sorted_cursor(sort, getattr(last, column.key), last.id)
