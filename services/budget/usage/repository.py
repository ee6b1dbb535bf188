"""Queries on disbursements, usage reports, surplus returns and arranged amounts."""

from __future__ import annotations

import uuid
from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.reads import total_of
from services.budget.models import Arrangement, Disbursement, SurplusReturn, UsageReport
from services.budget.records import records_of

__all__ = [
    "arranged_total",
    "disbursed",
    "disbursement_by_voucher",
    "disbursements_of",
    "report_of_period",
    "surplus_returned",
    "surplus_returns_of",
    "surplus_voucher_used",
    "usage_reports_of",
]


async def disbursed(session: AsyncSession, project_id: uuid.UUID) -> dict[uuid.UUID, int]:
    """Paid so far, by line."""
    rows = await session.execute(
        sa.select(Disbursement.line_id, sa.func.sum(Disbursement.amount))
        .where(Disbursement.project_id == project_id)
        .group_by(Disbursement.line_id)
    )
    return {line_id: int(total) for line_id, total in rows}


async def disbursements_of(
    session: AsyncSession, project_id: uuid.UUID, *, until: date | None = None
) -> list[Disbursement]:
    """The project's payments in the order they were made (up to ``until``)."""
    stmt = sa.select(Disbursement).where(Disbursement.project_id == project_id)
    if until is not None:
        stmt = stmt.where(Disbursement.paid_on <= until)
    rows = await session.scalars(stmt.order_by(Disbursement.paid_on, Disbursement.created_at))
    return list(rows)


async def disbursement_by_voucher(session: AsyncSession, voucher_no: str) -> Disbursement | None:
    stmt = sa.select(Disbursement).where(Disbursement.voucher_no == voucher_no)
    return (await session.scalars(stmt)).first()


async def surplus_returned(session: AsyncSession, project_id: uuid.UUID) -> int:
    return await total_of(session, SurplusReturn.amount, SurplusReturn.project_id == project_id)


async def surplus_voucher_used(session: AsyncSession, voucher_no: str) -> bool:
    found = await session.scalar(
        sa.select(SurplusReturn.id).where(SurplusReturn.voucher_no == voucher_no)
    )
    return found is not None


async def arranged_total(session: AsyncSession, project_id: uuid.UUID) -> int:
    """What finance's 预算安排情况通报 arranged for the project, all notices together."""
    return await total_of(session, Arrangement.amount, Arrangement.project_id == project_id)


async def report_of_period(
    session: AsyncSession, project_id: uuid.UUID, start: date, end: date
) -> uuid.UUID | None:
    found: uuid.UUID | None = await session.scalar(
        sa.select(UsageReport.id).where(
            UsageReport.project_id == project_id,
            UsageReport.period_start == start,
            UsageReport.period_end == end,
        )
    )
    return found


async def usage_reports_of(session: AsyncSession, project_id: uuid.UUID) -> list[UsageReport]:
    """The project's usage reports, by period."""
    return await records_of(
        session, UsageReport, project_id, UsageReport.period_end, UsageReport.period_start
    )


async def surplus_returns_of(session: AsyncSession, project_id: uuid.UUID) -> list[SurplusReturn]:
    """The project's surplus returns in the order they were made."""
    return await records_of(
        session, SurplusReturn, project_id, SurplusReturn.returned_on, SurplusReturn.created_at
    )
