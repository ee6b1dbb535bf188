"""Queries of stored decisions."""

from __future__ import annotations

import uuid
from typing import Any

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


async def insert_once(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Store a decision unless its submission has one already; True when stored."""
    return await session.scalar(_INSERT_DECISION, values) is not None


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
