"""Oversight queries: counts and sums over the tenants an overseer sees."""

from __future__ import annotations

from collections.abc import Collection

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.models import Project, System


async def project_totals(
    session: AsyncSession, tenants: Collection[str]
) -> list[tuple[str, str, str | None, int, int]]:
    """(tenant, state, route, count, amount) of the projects of ``tenants``."""
    rows = await session.execute(
        sa.select(
            Project.tenant_id,
            Project.state,
            Project.route,
            sa.func.count(),
            sa.func.sum(Project.amount),
        )
        .where(Project.tenant_id.in_(sorted(tenants)))
        .group_by(Project.tenant_id, Project.state, Project.route)
    )
    return [(t, s, r, int(c), int(a or 0)) for t, s, r, c, a in rows.all()]


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
