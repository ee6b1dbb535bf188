"""Queries on finance reviews and budget arrangements."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.pagination import decode_cursor, encode_cursor
from libs.common.reads import rows_where
from services.budget.models import (
    Arrangement,
    BudgetLine,
    BudgetProject,
    Disbursement,
    FinanceReview,
    SurplusReturn,
)
from services.budget.records import records_of

__all__ = [
    "arrangement_exists",
    "arrangements_in_year",
    "arrangements_of",
    "budget_page",
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
    return await records_of(session, FinanceReview, project_id, FinanceReview.requested_at)


async def lines_for_request(session: AsyncSession, project_id: uuid.UUID) -> list[BudgetLine]:
    """The lines sent with a review request (by kind, then year)."""
    return await records_of(session, BudgetLine, project_id, BudgetLine.kind, BudgetLine.year)


async def arrangements_of(session: AsyncSession, project_id: uuid.UUID) -> list[Arrangement]:
    return await records_of(
        session, Arrangement, project_id, Arrangement.year, Arrangement.notified_on
    )


async def arrangements_in_year(session: AsyncSession, year: int) -> list[Arrangement]:
    """The year's notices of every tenant the caller sees (row-level security)."""
    order = (Arrangement.tenant_id, Arrangement.notified_on, Arrangement.notice_no)
    return await rows_where(session, Arrangement, Arrangement.year == year, order_by=order)


async def arrangement_exists(session: AsyncSession, project_id: uuid.UUID, notice_no: str) -> bool:
    found = await session.scalar(
        sa.select(Arrangement.id).where(
            Arrangement.project_id == project_id, Arrangement.notice_no == notice_no
        )
    )
    return found is not None


def _total_of(model: Any) -> Any:
    """The project's sum of ``model.amount`` (payments, returns, arrangements), in the same row."""
    return (
        sa.select(sa.func.coalesce(sa.func.sum(model.amount), 0))
        .where(model.project_id == BudgetProject.id)
        .scalar_subquery()
    )


def _latest_review(column: Any) -> Any:
    return (
        sa.select(column)
        .where(FinanceReview.project_id == BudgetProject.id)
        .order_by(FinanceReview.requested_at.desc())
        .limit(1)
        .scalar_subquery()
    )


async def budget_page(
    session: AsyncSession,
    *,
    status: str | None,
    unit_id: str | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[dict[str, Any]], str | None]:
    """Every visible project with its figures, newest first, in one query (keyset on created_at, id).

    Row-level security keeps it to the caller's jurisdictions (an overseer: its counties too).
    """
    stmt = sa.select(
        BudgetProject,
        _total_of(Arrangement).label("arranged"),
        _total_of(Disbursement).label("paid"),
        _total_of(SurplusReturn).label("returned"),
        _latest_review(FinanceReview.status).label("review_status"),
        _latest_review(FinanceReview.outcome).label("review_outcome"),
    )
    if status:
        stmt = stmt.where(BudgetProject.status == status)
    if unit_id:
        stmt = stmt.where(BudgetProject.unit_id == uuid.UUID(unit_id))
    if cursor:
        at, pid = decode_cursor(cursor)
        stmt = stmt.where(
            sa.tuple_(BudgetProject.created_at, BudgetProject.id)
            < sa.tuple_(sa.literal(at), sa.literal(pid))
        )
    stmt = stmt.order_by(BudgetProject.created_at.desc(), BudgetProject.id.desc()).limit(limit + 1)
    rows = list((await session.execute(stmt)).all())
    more = len(rows) > limit
    rows = rows[:limit]
    items = [
        {
            "project": row.BudgetProject,
            "arranged": int(row.arranged),
            "paid": int(row.paid),
            "returned": int(row.returned),
            "review_status": row.review_status,
            "review_outcome": row.review_outcome,
        }
        for row in rows
    ]
    last = rows[-1].BudgetProject if more and rows else None
    return items, (encode_cursor(last.created_at, last.id) if last is not None else None)
