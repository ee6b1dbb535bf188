"""Queries on budget lines and adjustments (row-level security scopes them to the caller)."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.budget.models import Adjustment, BudgetLine

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
    total = await session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(Adjustment.amount), 0)).where(
            Adjustment.project_id == project_id
        )
    )
    return int(total or 0)


async def adjustments_of(session: AsyncSession, project_id: uuid.UUID) -> list[Adjustment]:
    """The project's adjustments in the order they were made."""
    rows = await session.scalars(
        sa.select(Adjustment)
        .where(Adjustment.project_id == project_id)
        .order_by(Adjustment.created_at, Adjustment.id)
    )
    return list(rows)
