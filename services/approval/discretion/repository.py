"""Queries of exceptions and parameters (RLS scopes every read to the visible tenants)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from services.approval.discretion.models import BureauParameter, RuleException


async def exception_of(
    session: AsyncSession, project_id: uuid.UUID, rule: str
) -> RuleException | None:
    """The exception already granted for this project and rule, if any."""
    found: RuleException | None = await session.scalar(
        sa.select(RuleException).where(
            RuleException.project_id == project_id, RuleException.rule == rule
        )
    )
    return found


# Built once (every batch of decisions asks): only the parameters change from call to call.
_EXCEPTIONS_OF = (
    sa.select(RuleException)
    .where(
        RuleException.tenant_id == sa.bindparam("tenant"),
        # One array parameter (one prepared statement), however many projects.
        RuleException.project_id == sa.any_(sa.bindparam("project_ids", type_=ARRAY(sa.Uuid))),
    )
    .order_by(RuleException.granted_at)
)


async def exceptions_of(
    session: AsyncSession, tenant: str, project_ids: Sequence[uuid.UUID]
) -> list[RuleException]:
    """Every exception granted in ``tenant`` for the projects, oldest first."""
    rows = await session.scalars(
        _EXCEPTIONS_OF, {"tenant": tenant, "project_ids": list(project_ids)}
    )
    return list(rows)


async def visible_exceptions(session: AsyncSession, year: int | None) -> list[RuleException]:
    """The exceptions the caller may read (own tenant; an overseer's counties too)."""
    query = sa.select(RuleException).order_by(RuleException.granted_at.desc())
    if year is not None:
        query = query.where(
            RuleException.granted_on >= date(year, 1, 1),
            RuleException.granted_on < date(year + 1, 1, 1),
        )
    return list(await session.scalars(query))


async def exception_counts(session: AsyncSession) -> list[tuple[str, int, int]]:
    """(tenant, year, count) of the exceptions the caller may read."""
    year = sa.extract("year", RuleException.granted_on)
    rows = await session.execute(
        sa.select(RuleException.tenant_id, year, sa.func.count())
        .group_by(RuleException.tenant_id, year)
        .order_by(RuleException.tenant_id, year)
    )
    return [(str(t), int(y), int(n)) for t, y, n in rows]


# Built once (every policy decision reads it): the statement keeps its cache key.
_PARAMETERS_OF = (
    sa.select(BureauParameter)
    .where(BureauParameter.tenant_id == sa.bindparam("tenant"))
    .order_by(BureauParameter.effective_from, BureauParameter.recorded_at)
)


async def parameters_of(session: AsyncSession, tenant: str) -> list[BureauParameter]:
    """Every value recorded in ``tenant``, oldest first."""
    return list(await session.scalars(_PARAMETERS_OF, {"tenant": tenant}))
