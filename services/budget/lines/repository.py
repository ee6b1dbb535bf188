"""Queries on budget lines and adjustments (row-level security scopes them to the caller)."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.reads import total_of
from services.budget.models import Adjustment, BudgetLine
from services.budget.records import records_of

__all__ = ["adjusted_so_far", "adjustments_of", "get_line", "lines_of"]


async def lines_of(session: AsyncSession, project_id: uuid.UUID) -> list[BudgetLine]:
    """The project's lines: by kind, operations by year."""
    rows = await session.scalars(
        sa.select(BudgetLine)
        .where(BudgetLine.project_id == project_id)
        .order_by(BudgetLine.kind, BudgetLine.year.nulls_first(), BudgetLine.created_at)
        .execution_options(populate_existing=True)
    )
    return list(rows)


async def get_line(
    session: AsyncSession, project_id: uuid.UUID, line_id: uuid.UUID
) -> BudgetLine | None:
    """The line if it is one of the project's."""
    line = await session.get(BudgetLine, line_id)
    return line if line is not None and line.project_id == project_id else None


async def adjusted_so_far(session: AsyncSession, project_id: uuid.UUID) -> int:
    """All adjustments of the project together (counted against the pack's limit)."""
    return await total_of(session, Adjustment.amount, Adjustment.project_id == project_id)


async def adjustments_of(session: AsyncSession, project_id: uuid.UUID) -> list[Adjustment]:
    """The project's adjustments in the order they were made."""
    return await records_of(session, Adjustment, project_id, Adjustment.created_at, Adjustment.id)
