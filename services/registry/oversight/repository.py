"""Oversight queries: counts and sums over the tenants an overseer sees."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.pagination import keyset, next_page
from services.registry.models import Project, System

#: The approval-stage limits and the states in which a project has not yet met each
#: (vocabulary.md lifecycle): 审批时限 is met once approved or filed; the approval's
#: validity once procurement starts (the approval was used before it lapsed). Limits
#: from implementation on are the acceptance service's deadlines.
UNMET_IN: Final[Mapping[str, tuple[str, ...]]] = {
    "approval_due": ("submitted", "under_review"),
    "approval_validity": ("submitted", "under_review", "approved", "filed"),
}
_DAY = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"  # a yearly cut-off (--MM-DD) is no one day


async def project_totals(
    session: AsyncSession, tenants: Collection[str]
) -> list[tuple[str, str, str | None, int, int, int]]:
    """(tenant, state, route, year, count, amount) of the projects of ``tenants``."""
    rows = await session.execute(
        sa.select(
            Project.tenant_id,
            Project.state,
            Project.route,
            Project.year,
            sa.func.count(),
            sa.func.sum(Project.amount),
        )
        .where(Project.tenant_id.in_(sorted(tenants)))
        .group_by(Project.tenant_id, Project.state, Project.route, Project.year)
    )
    return [(t, s, r, y, int(c), int(a or 0)) for t, s, r, y, c, a in rows.all()]


def _overdue(tenants: Collection[str], today: date) -> tuple[sa.Select[Any], Any]:
    """The approval-stage limits of ``tenants`` past ``today`` and not met, and their
    order key (the day, then the limit's code: one project may miss both)."""
    limit = sa.func.jsonb_array_elements(Project.decision["time_limits"]).table_valued(
        sa.column("value", JSONB)
    )
    code, day = limit.c.value["code"].astext, limit.c.value["date"].astext
    unmet = sa.or_(*(sa.and_(code == c, Project.state.in_(s)) for c, s in UNMET_IN.items()))
    stmt = (
        sa.select(Project.id, Project.name, Project.tenant_id, Project.state)
        .add_columns(code.label("code"), day.label("date"), limit.c.value["article"].astext)
        .select_from(Project)
        .join(limit, sa.true())
        .where(Project.tenant_id.in_(sorted(tenants)), unmet, day.regexp_match(_DAY))
        .where(day < today.isoformat())
    )
    return stmt, day + " " + code


async def overdue_count(
    session: AsyncSession, tenants: Collection[str], today: date
) -> dict[str, int]:
    """How many approval-stage limits each tenant of ``tenants`` has missed (SQL count)."""
    stmt, _ = _overdue(tenants, today)
    found = stmt.subquery()
    rows = await session.execute(
        sa.select(found.c.tenant_id, sa.func.count()).group_by(found.c.tenant_id)
    )
    return {t: int(n) for t, n in rows.all()}


async def overdue_page(
    session: AsyncSession,
    tenants: Collection[str],
    today: date,
    *,
    cursor: str | None,
    limit: int,
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of the missed approval-stage limits, soonest day first, and the next
    page's cursor (None on the last); keyset on (day and code, project id)."""
    stmt, order = _overdue(tenants, today)
    stmt = keyset(stmt, order, Project.id, sort="due", kind=str, cursor=cursor, limit=limit)
    keys = ("project_id", "name", "tenant_id", "state", "code", "date", "article")
    rows = [dict(zip(keys, r, strict=True)) for r in (await session.execute(stmt)).all()]
    return next_page(
        rows,
        limit=limit,
        sort="due",
        position=lambda o: (f"{o['date']} {o['code']}", o["project_id"]),
    )


async def system_totals(
    session: AsyncSession, tenants: Collection[str]
) -> list[tuple[str, str, int]]:
    """(tenant, state, count) of the catalog systems of ``tenants``."""
    rows = await session.execute(
        sa.select(System.tenant_id, System.state, sa.func.count())
        .where(System.tenant_id.in_(sorted(tenants)))
        .group_by(System.tenant_id, System.state)
    )
    return [(t, s, int(c)) for t, s, c in rows.all()]
