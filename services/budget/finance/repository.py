"""Queries on finance reviews and budget arrangements."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.budget.models import Arrangement, BudgetLine, FinanceReview

__all__ = [
    "arrangements_in_year",
    "arrangements_of",
    "lines_for_request",
    "review_by_id",
    "review_by_step",
    "reviews_of",
]


async def review_by_id(session: AsyncSession, review_id: uuid.UUID) -> FinanceReview | None:
    """The review, locked: one answer is judged at a time."""
    stmt = sa.select(FinanceReview).where(FinanceReview.id == review_id).with_for_update()
    return (await session.scalars(stmt)).first()


async def review_by_step(session: AsyncSession, step_id: str) -> FinanceReview | None:
    """The review asked for a workflow's finance step, locked."""
    stmt = sa.select(FinanceReview).where(FinanceReview.step_id == step_id).with_for_update()
    return (await session.scalars(stmt)).first()


async def reviews_of(session: AsyncSession, project_id: uuid.UUID) -> list[FinanceReview]:
    rows = await session.scalars(
        sa.select(FinanceReview)
        .where(FinanceReview.project_id == project_id)
        .order_by(FinanceReview.requested_at)
    )
    return list(rows)


async def lines_for_request(session: AsyncSession, project_id: uuid.UUID) -> list[BudgetLine]:
    """The lines sent with a review request (by kind, then year)."""
    rows = await session.scalars(
        sa.select(BudgetLine)
        .where(BudgetLine.project_id == project_id)
        .order_by(BudgetLine.kind, BudgetLine.year)
    )
    return list(rows)


async def arrangements_of(session: AsyncSession, project_id: uuid.UUID) -> list[Arrangement]:
    rows = await session.scalars(
        sa.select(Arrangement)
        .where(Arrangement.project_id == project_id)
        .order_by(Arrangement.year, Arrangement.notified_on)
    )
    return list(rows)


async def arrangements_in_year(session: AsyncSession, year: int) -> list[Arrangement]:
    """The year's notices of every tenant the caller sees (row-level security)."""
    rows = await session.scalars(
        sa.select(Arrangement)
        .where(Arrangement.year == year)
        .order_by(Arrangement.tenant_id, Arrangement.notified_on, Arrangement.notice_no)
    )
    return list(rows)
