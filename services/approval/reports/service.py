"""Reporting a county's result up to the city (潮州 第十四条 and its counties' packs).

The report is a row of the county (it is the county's result); the city reads
it through its overseer's visibility (RLS ``app.visible_tenants``) and
acknowledges it with a receipt, a row of the city's own, since a tenant never
writes another's rows. No HTTP here.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.errors import Conflict
from services.approval.models import (
    ApprovalDocument,
    ParentReport,
    ReportReceipt,
    Workflow,
    publisher,
)
from services.approval.reports import repository
from services.approval.reports.schemas import ReportRead
from services.approval.workflow import plan
from services.approval.workflow.publish import announce


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
    parent = await repository.parent_of(session, wf.tenant_id)
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
    await announce(
        session,
        tenant=wf.tenant_id,
        aggregate="report",
        event="submitted",
        actor=actor,
        report_id=str(report.id),
        parent_tenant=parent,
        project_id=str(wf.project_id),
        submission=wf.submission,
        workflow_id=str(wf.id),
        number=doc.number,
        kind=doc.kind,
        approved_amount=doc.approved_amount,
        article=report.article,
        explanation=report.explanation,
    )
    return report


async def acknowledge(
    session: AsyncSession,
    *,
    report: ParentReport,
    doc: ApprovalDocument,
    note: str | None,
    actor: dict[str, Any],
) -> ReportRead:
    """The city the result was reported to acknowledges it, once (a row of its own tenant)."""
    report_id, parent = report.id, report.parent_tenant
    if await repository.receipt_of(session, report_id) is not None:
        raise Conflict("already_received", "已确认收到", f"report {report_id} 已确认")
    receipt = ReportReceipt(
        report_id=report_id,
        tenant_id=parent,
        note=note,
        actor=actor,
        received_at=datetime.now(UTC),
    )
    await publisher.record(
        session,
        receipt,
        "report",
        "received",
        actor=actor,
        data={
            "report_id": str(report_id),
            "from_tenant": report.tenant_id,
            "project_id": str(report.project_id),
            "number": doc.number,
            "note": note,
        },
    )
    return report_read(report, doc, receipt)


def report_read(
    report: ParentReport, doc: ApprovalDocument, receipt: ReportReceipt | None = None
) -> ReportRead:
    return ReportRead(
        report_id=report.id,
        tenant=report.tenant_id,
        parent_tenant=report.parent_tenant,
        project_id=report.project_id,
        workflow_id=report.workflow_id,
        number=doc.number,
        document_kind=doc.kind,
        approved_on=doc.approved_on,
        approved_amount=doc.approved_amount,
        article=report.article,
        explanation=report.explanation,
        reported_at=report.reported_at,
        received_at=receipt.received_at if receipt else None,
    )


async def pending_for(session: AsyncSession, parent: str) -> list[ReportRead]:
    """The overseer's queue: its counties' results not acknowledged yet."""
    return [report_read(r, d) for r, d in await repository.pending_for(session, parent)]
