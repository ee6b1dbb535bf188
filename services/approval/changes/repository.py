"""Queries of change requests."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Final

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.approval.models import ChangeRequest

#: Adjustments the unit applied itself count against the limit; one that went back
#: through approval was judged there.
_COUNTED: Final = ("filed",)


async def cumulative_adjustments(session: AsyncSession, project_id: uuid.UUID) -> int:
    total = await session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(ChangeRequest.adjustment_amount), 0)).where(
            ChangeRequest.project_id == project_id,
            ChangeRequest.kind == "adjustment",
            ChangeRequest.state.in_(_COUNTED),
        )
    )
    return int(total or 0)


async def of_project(session: AsyncSession, project_id: uuid.UUID) -> Sequence[ChangeRequest]:
    return (
        await session.scalars(
            sa.select(ChangeRequest)
            .where(ChangeRequest.project_id == project_id)
            .order_by(ChangeRequest.created_at)
        )
    ).all()
