"""Reading a project's trail: one page at a time, oldest first, keyset on (time, event id)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.pagination import decode_cursor, encode_cursor
from services.registry.models import TrailEvent

__all__ = ["page"]


async def page(
    session: AsyncSession, project_id: uuid.UUID, *, cursor: str | None, limit: int
) -> tuple[Sequence[TrailEvent], str | None]:
    """Up to ``limit`` events of the project after ``cursor``, and the next page's cursor."""
    stmt = sa.select(TrailEvent).where(TrailEvent.project_id == project_id)
    if cursor:
        at, event_id = decode_cursor(cursor)
        stmt = stmt.where(
            sa.tuple_(TrailEvent.occurred_at, TrailEvent.event_id)
            > sa.tuple_(sa.literal(at), sa.literal(str(event_id)))
        )
    stmt = stmt.order_by(TrailEvent.occurred_at, TrailEvent.event_id).limit(limit + 1)
    rows = list((await session.scalars(stmt)).all())
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1] if more and rows else None
    # Platform event ids are UUIDv7 (the outbox key), so the shared cursor carries them.
    return rows, (encode_cursor(last.occurred_at, uuid.UUID(last.event_id)) if last else None)
