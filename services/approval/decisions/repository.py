"""Queries of stored decisions."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db import cacheable_insert
from libs.common.errors import NotFound
from services.approval.models import Decision

# Built and compiled once (libs.common.db.cacheable_insert): the values go as parameters.
_INSERT_DECISION = cacheable_insert(
    insert(Decision)
    .on_conflict_do_nothing(index_elements=["tenant_id", "project_id", "submission"])
    .returning(Decision.id)
)


# The same for a batch: compiled per call (no cache key), rendered as one multi-row
# INSERT … RETURNING by SQLAlchemy's insertmanyvalues.
_DECISIONS = cast(sa.Table, Decision.__table__)
_INSERT_DECISIONS = (
    insert(_DECISIONS)
    .on_conflict_do_nothing(index_elements=["tenant_id", "project_id", "submission"])
    .returning(_DECISIONS.c.id)
)


async def insert_new(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> set[uuid.UUID]:
    """Store the decisions whose submission has none yet; the ids of those stored.

    Of two rows for one submission the first is stored, as one after the other.
    """
    if len(rows) == 1:
        stored = await session.scalar(_INSERT_DECISION, rows[0])
        return set() if stored is None else {rows[0]["id"]}
    if not rows:
        return set()
    return set((await session.execute(_INSERT_DECISIONS, list(rows))).scalars())


async def latest(session: AsyncSession, project_id: uuid.UUID) -> Decision:
    """The decision on the project's latest submission; 404 when none (or not visible)."""
    row = (
        await session.scalars(
            sa.select(Decision)
            .where(Decision.project_id == project_id)
            .order_by(Decision.submission.desc())
            .limit(1)
        )
    ).first()
    if row is None:  # not decided yet, or another jurisdiction's project (RLS)
        raise NotFound("项目判定", project_id)
    return row
