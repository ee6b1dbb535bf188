"""Queries of reports up and their receipts (the city reads its counties' through RLS)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.errors import NotFound
from services.approval.models import ApprovalDocument, ParentReport, ReportReceipt, tenants


async def parent_of(session: AsyncSession, tenant: str) -> str | None:
    return (
        await session.execute(sa.select(tenants.c.parent_code).where(tenants.c.code == tenant))
    ).scalar_one_or_none()


async def pending_for(
    session: AsyncSession, parent: str
) -> Sequence[tuple[ParentReport, ApprovalDocument]]:
    """Reports to ``parent`` it has not acknowledged yet (what RLS lets it read)."""
    rows = await session.execute(
        sa.select(ParentReport, ApprovalDocument)
        .join(ApprovalDocument, ApprovalDocument.id == ParentReport.document_id)
        .outerjoin(ReportReceipt, ReportReceipt.report_id == ParentReport.id)
        .where(ParentReport.parent_tenant == parent, ReportReceipt.report_id.is_(None))
        .order_by(ParentReport.reported_at)
    )
    return [(r, d) for r, d in rows.all()]


async def reported_to(
    session: AsyncSession, report_id: uuid.UUID, parent: str
) -> tuple[ParentReport, ApprovalDocument]:
    """A report made to ``parent``; 404 for any other (a sibling's, or one RLS hides)."""
    row = (
        await session.execute(
            sa.select(ParentReport, ApprovalDocument)
            .join(ApprovalDocument, ApprovalDocument.id == ParentReport.document_id)
            .where(ParentReport.id == report_id, ParentReport.parent_tenant == parent)
        )
    ).first()
    if row is None:
        raise NotFound("报送", report_id)
    return row[0], row[1]


async def receipt_of(session: AsyncSession, report_id: uuid.UUID) -> ReportReceipt | None:
    return await session.get(ReportReceipt, report_id)
