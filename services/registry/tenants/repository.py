"""Tenant queries: the registry's tree is reference data (no RLS); callers filter by code."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.models import outbox, tenants


async def get(session: AsyncSession, code: str, *, lock: bool = False) -> dict[str, Any] | None:
    """The tenant ``code`` as a row, or None."""
    stmt = sa.select(tenants).where(tenants.c.code == code)
    if lock:
        stmt = stmt.with_for_update()
    row = (await session.execute(stmt)).mappings().first()
    return dict(row) if row else None


async def list_(session: AsyncSession, *, codes: Collection[str] | None) -> list[dict[str, Any]]:
    """The tenants among ``codes`` (None: all), ordered by code."""
    stmt = sa.select(tenants).order_by(tenants.c.code)
    if codes is not None:
        stmt = stmt.where(tenants.c.code.in_(list(codes)))
    return [dict(r) for r in (await session.execute(stmt)).mappings().all()]


async def insert(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(sa.insert(tenants).values(**row))


async def rename(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(
        sa.update(tenants)
        .where(tenants.c.code == row["code"])
        .values(name=row["name"], version=row["version"], updated_at=row["updated_at"])
    )


async def published_payload(session: AsyncSession, event_id: str) -> dict[str, Any] | None:
    """The payload the registry itself emitted under ``event_id`` (its outbox), or None."""
    payload = await session.scalar(
        sa.select(outbox.c.payload).where(outbox.c.id == sa.cast(event_id, sa.Uuid))
    )
    return dict(payload) if payload is not None else None
