"""Project queries. Row-level security limits each to the caller's visible tenants."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.errors import Invalid, NotFound
from services.registry.models import (
    AnnualPlan,
    DemandItem,
    Project,
    ProjectHistory,
    ProjectSystem,
    System,
)


async def get(session: AsyncSession, project_id: uuid.UUID) -> Project:
    """The project, or 404 (missing, or of a tenant the caller cannot read)."""
    project = await session.get(Project, project_id)
    if project is None:
        raise NotFound("项目", project_id)
    return project


async def lock(session: AsyncSession, project: Project) -> Project:
    """Lock the row for a change, once the caller is known to be allowed to make it.

    FOR UPDATE also applies the write policy of row-level security, which an
    overseer fails: authorising first gives it a 403 that says why.
    """
    await session.refresh(project, with_for_update=True)
    return project


async def get_for_event(session: AsyncSession, project_id: uuid.UUID) -> Project | None:
    """The project locked for an event's transition, or None."""
    return await session.get(Project, project_id, with_for_update=True)


async def replace_links(
    session: AsyncSession, project: Project, links: Sequence[tuple[uuid.UUID, str]]
) -> None:
    """Make ``links`` (system id, relation) the project's catalog links."""
    await session.execute(sa.delete(ProjectSystem).where(ProjectSystem.project_id == project.id))
    for system_id, relation in links:
        session.add(
            ProjectSystem(
                tenant_id=project.tenant_id,
                project_id=project.id,
                system_id=system_id,
                relation=relation,
            )
        )


async def links_of(
    session: AsyncSession, project_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[dict[str, Any]]]:
    """The catalog links of each project, in one query."""
    out: dict[uuid.UUID, list[dict[str, Any]]] = {pid: [] for pid in project_ids}
    if project_ids:
        rows = await session.execute(
            sa.select(ProjectSystem.project_id, ProjectSystem.system_id, ProjectSystem.relation)
            .where(ProjectSystem.project_id.in_(project_ids))
            .order_by(ProjectSystem.system_id)
        )
        for pid, sid, relation in rows:
            out[pid].append({"system_id": sid, "relation": relation})
    return out


async def linked_systems(session: AsyncSession, project: Project) -> list[tuple[str, System]]:
    """(relation, system) of every catalog system the project links, by system id."""
    rows = await session.execute(
        sa.select(ProjectSystem.relation, System)
        .join(System, System.id == ProjectSystem.system_id)
        .where(ProjectSystem.project_id == project.id)
        .order_by(System.id)
    )
    return [(relation, system) for relation, system in rows.all()]


async def in_annual_plan(session: AsyncSession, project: Project) -> bool:
    """Whether the project's demand item is in its year's consolidated annual plan."""
    if project.demand_item_id is None:
        return False
    found = await session.scalar(
        sa.select(sa.func.count())
        .select_from(DemandItem)
        .join(AnnualPlan, AnnualPlan.id == DemandItem.plan_id)
        .where(
            DemandItem.id == project.demand_item_id,
            DemandItem.state == "included",
            AnnualPlan.state == "consolidated",
            AnnualPlan.year == project.year,
            AnnualPlan.tenant_id == project.tenant_id,
        )
    )
    return bool(found)


async def history(session: AsyncSession, project_id: uuid.UUID) -> list[ProjectHistory]:
    """The project's transitions, oldest first."""
    return list(
        (
            await session.scalars(
                sa.select(ProjectHistory)
                .where(ProjectHistory.project_id == project_id)
                .order_by(ProjectHistory.at, ProjectHistory.id)
            )
        ).all()
    )


# The orders a list may take (?sort=, "-" for descending) and the column each reads.
SORTS: dict[str, Any] = {
    "created": Project.created_at,
    "name": Project.name,
    "amount": Project.amount,
    "year": Project.year,
}
DEFAULT_SORT = "-created"


def sort_of(sort: str) -> tuple[str, bool]:
    """``"-amount"`` → ("amount", descending); an unknown order is refused in Chinese."""
    key, descending = sort.removeprefix("-"), sort.startswith("-")
    if key not in SORTS:
        raise Invalid("sort", "排序方式无效：可按创建时间、名称、金额或年度排序")
    return key, descending


def encode_cursor(project: Project, sort: str = DEFAULT_SORT) -> str:
    """The keyset position after ``project`` in the order ``sort``: (sort, value, id)."""
    key, _ = sort_of(sort)
    value = getattr(project, SORTS[key].key)
    shown = value.isoformat() if isinstance(value, datetime) else value
    raw = json.dumps([sort, shown, str(project.id)], ensure_ascii=False)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str = DEFAULT_SORT) -> tuple[Any, uuid.UUID]:
    """The (value, id) a cursor made for ``sort`` points after; another order's cursor is refused."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        made_for, value, pid = json.loads(raw)
        if made_for != sort:
            raise ValueError(made_for)
        key, _ = sort_of(sort)
        if key == "created":
            value = datetime.fromisoformat(value)
        elif not isinstance(value, str if key == "name" else int):
            raise ValueError(value)
        return value, uuid.UUID(pid)
    except (ValueError, TypeError, UnicodeDecodeError) as exc:
        raise Invalid("cursor", "游标无效（或属于另一种排序）") from exc


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def list_(
    session: AsyncSession,
    *,
    tenant: str | None,
    state: str | None,
    route: str | None,
    unit_id: uuid.UUID | None,
    amount_min: int | None,
    amount_max: int | None,
    year: int | None,
    q: str | None,
    cursor: str | None,
    limit: int,
    sort: str = DEFAULT_SORT,
) -> tuple[list[Project], str | None]:
    """Visible projects in the order ``sort`` (newest first by default), filtered;
    keyset pagination on (the sort column, id)."""
    key, descending = sort_of(sort)
    ordered_by = SORTS[key]
    stmt = sa.select(Project)
    for column, value in (
        (Project.tenant_id, tenant),
        (Project.state, state),
        (Project.route, route),
        (Project.unit_id, unit_id),
        (Project.year, year),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    if amount_min is not None:
        stmt = stmt.where(Project.amount >= amount_min)
    if amount_max is not None:
        stmt = stmt.where(Project.amount <= amount_max)
    if q:
        # Chinese names have no word boundaries: substring match, not word search.
        stmt = stmt.where(Project.name.ilike(f"%{escape_like(q)}%", escape="\\"))
    if cursor:
        value, pid = decode_cursor(cursor, sort)
        position = sa.tuple_(ordered_by, Project.id)
        after = sa.tuple_(sa.literal(value), sa.literal(pid))
        stmt = stmt.where(position < after if descending else position > after)
    if descending:
        stmt = stmt.order_by(ordered_by.desc(), Project.id.desc())
    else:
        stmt = stmt.order_by(ordered_by.asc(), Project.id.asc())
    rows = list((await session.scalars(stmt.limit(limit + 1))).all())
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (encode_cursor(rows[-1], sort) if more and rows else None)
