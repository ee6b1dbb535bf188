"""Unit queries. Row-level security limits every one to the caller's visible tenants."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.models import Unit


async def get(session: AsyncSession, unit_id: uuid.UUID) -> Unit | None:
    """A unit the transaction may see, or None."""
    return await session.get(Unit, unit_id)


async def of_tenant(session: AsyncSession, unit_id: uuid.UUID, tenant: str) -> Unit | None:
    """The unit if it belongs to ``tenant`` (an overseer sees its counties' units too)."""
    unit = await get(session, unit_id)
    return unit if unit is not None and unit.tenant_id == tenant else None


async def name_taken(session: AsyncSession, *, tenant: str, name: str) -> bool:
    found = await session.scalar(
        sa.select(sa.func.count())
        .select_from(Unit)
        .where(Unit.tenant_id == tenant, Unit.name == name)
    )
    return bool(found)


async def list_(session: AsyncSession, *, tenant: str | None = None) -> list[Unit]:
    """Visible units, optionally of one tenant, by tenant and name."""
    stmt = sa.select(Unit).order_by(Unit.tenant_id, Unit.name)
    if tenant is not None:
        stmt = stmt.where(Unit.tenant_id == tenant)
    return list((await session.scalars(stmt)).all())
