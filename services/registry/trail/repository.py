"""Reading a project's trail: one page at a time, oldest first, keyset on (time, event id)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.models import TrailEvent
from services.registry.projects.repository import decode_keyset, encode_keyset

__all__ = ["page"]


async def page(
    session: AsyncSession, project_id: uuid.UUID, *, cursor: str | None, limit: int
) -> tuple[Sequence[TrailEvent], str | None]:
    """Up to ``limit`` events of the project after ``cursor``, and the next page's cursor."""
    stmt = sa.select(TrailEvent).where(TrailEvent.project_id == project_id)
    if cursor:
        at, event_id = decode_keyset(cursor)
        stmt = stmt.where(
            sa.tuple_(TrailEvent.occurred_at, TrailEvent.event_id)
            > sa.tuple_(sa.literal(at), sa.literal(event_id))
        )
    stmt = stmt.order_by(TrailEvent.occurred_at, TrailEvent.event_id).limit(limit + 1)
    rows = list((await session.scalars(stmt)).all())
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1] if more and rows else None
    return rows, (encode_keyset(last.occurred_at, last.event_id) if last else None)
