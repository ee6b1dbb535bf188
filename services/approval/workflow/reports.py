"""Reporting a county's result up to the city (潮州 第十四条 and its counties' packs).

The report is a row of the county (it is the county's result); the city reads
it through its overseer's visibility (RLS ``app.visible_tenants``) and
acknowledges it with a receipt, a row of the city's own, since a tenant never
writes another's rows.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.events import emit
from services.approval.models import ApprovalDocument, ParentReport, ReportReceipt, tenants
from services.approval.workflow import plan

if TYPE_CHECKING:
    from services.approval.models import Workflow


async def report_up(
    session: AsyncSession,
    wf: Workflow,
    doc: ApprovalDocument,
    decision: dict[str, Any],
    actor: dict[str, Any],
) -> ParentReport | None:
    """Report the result to the parent jurisdiction where the decision requires it."""
    duties = plan.after_result(decision)
    if not duties:
        return None
    parent = (
        await session.execute(
            sa.select(tenants.c.parent_code).where(tenants.c.code == wf.tenant_id)
        )
    ).scalar_one_or_none()
    if parent is None:  # a city reports to no one here (the province is not a tenant)
        return None
    duty = duties[0]
    report = ParentReport(
        id=uuid.uuid4(),
        tenant_id=wf.tenant_id,
        parent_tenant=parent,
        workflow_id=wf.id,
        project_id=wf.project_id,
        document_id=doc.id,
        article=duty["article"],
        explanation=duty["explanation"],
        reported_at=datetime.now(UTC),
    )
    session.add(report)
    await session.flush()
    await emit(
        session,
        tenant=wf.tenant_id,
        service="approval",
        aggregate="report",
        event="submitted",
        data={
            "tenant": wf.tenant_id,
            "report_id": str(report.id),
            "parent_tenant": parent,
            "project_id": str(wf.project_id),
            "submission": wf.submission,
            "workflow_id": str(wf.id),
            "number": doc.number,
            "kind": doc.kind,
            "approved_amount": doc.approved_amount,
            "article": report.article,
            "explanation": report.explanation,
        },
        actor=actor,
    )
    return report


async def pending_for(session: AsyncSession, parent: str) -> list[dict[str, Any]]:
    """Reports of ``parent``'s counties it has not acknowledged yet (what RLS lets it read)."""
    rows = (
        await session.execute(
            sa.select(ParentReport, ApprovalDocument)
            .join(ApprovalDocument, ApprovalDocument.id == ParentReport.document_id)
            .outerjoin(ReportReceipt, ReportReceipt.report_id == ParentReport.id)
            .where(ParentReport.parent_tenant == parent, ReportReceipt.report_id.is_(None))
            .order_by(ParentReport.reported_at)
        )
    ).all()
    return [report_view(r, d) for r, d in rows]


def report_view(
    report: ParentReport, doc: ApprovalDocument, receipt: ReportReceipt | None = None
) -> dict[str, Any]:
    return {
        "kind": "report",
        "report_id": str(report.id),
        "tenant": report.tenant_id,
        "parent_tenant": report.parent_tenant,
        "project_id": str(report.project_id),
        "workflow_id": str(report.workflow_id),
        "number": doc.number,
        "document_kind": doc.kind,
        "approved_on": doc.approved_on.isoformat(),
        "approved_amount": doc.approved_amount,
        "article": report.article,
        "explanation": report.explanation,
        "reported_at": report.reported_at.isoformat(),
        "received_at": receipt.received_at.isoformat() if receipt else None,
    }
