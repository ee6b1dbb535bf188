"""Expired approvals (郁南 第十二条第（二）项: 审批意见有效期为两年).

An approval whose validity has run out before the project started procurement
is flagged: ``GET …/approval`` says ``expired`` at once, and the worker's daily
sweep emits ``govproj.approval.approval.expired.v1`` once per approval so the
unit, the bureau and the overseeing city hear of it. A project that started
procurement within the validity acted on its approval; it never expires.
"""

from __future__ import annotations

import os
import uuid
from datetime import date
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.deadlines import today_in_china
from libs.common.events import Event, emit, system_actor
from libs.common.periodic import for_each_tenant, start_periodic
from services.approval.models import ApprovalDocument, Workflow, tenants

ACTOR = "approval.expiry"


async def sweep_tenant(session: AsyncSession, tenant: str, today: date | None = None) -> int:
    """Emit ``approval.expired`` for this tenant's approvals past validity, once each."""
    today = today or today_in_china()
    rows = (
        await session.execute(
            sa.select(ApprovalDocument, Workflow)
            .join(Workflow, Workflow.id == ApprovalDocument.workflow_id)
            .where(
                ApprovalDocument.tenant_id == tenant,
                ApprovalDocument.valid_until < today,
                ApprovalDocument.expired_notified.is_(False),
                ApprovalDocument.implementation_started_on.is_(None),
            )
            .with_for_update(of=ApprovalDocument, skip_locked=True)
        )
    ).all()
    for doc, wf in rows:
        doc.expired_notified = True
        await emit(
            session,
            tenant=tenant,
            service="approval",
            aggregate="approval",
            event="expired",
            data={
                "tenant": tenant,
                "project_id": str(doc.project_id),
                "submission": wf.submission,
                "workflow_id": str(wf.id),
                "number": doc.number,
                "approved_on": doc.approved_on.isoformat(),
                "valid_until": doc.valid_until.isoformat() if doc.valid_until else None,
                "article": doc.validity_article,
                "reason": f"立项审批意见 {doc.number} 已超过有效期（{doc.validity_article}），"
                f"有效期至 {doc.valid_until}，项目尚未开始采购",
            },
            actor=system_actor(ACTOR, tenant),
        )
    return len(rows)


async def on_procurement_started(session: AsyncSession, event: Event) -> None:
    """The project acted on its approval: remember the day (it no longer expires)."""
    try:
        project_id = uuid.UUID(str(event.data["project_id"]))
    except (KeyError, ValueError):
        return
    started = str(event.data.get("started_on") or event.time.date().isoformat())
    await session.execute(
        sa.update(ApprovalDocument)
        .where(
            ApprovalDocument.project_id == project_id,
            ApprovalDocument.implementation_started_on.is_(None),
        )
        .values(implementation_started_on=date.fromisoformat(started[:10]))
    )


async def start_expiry_sweep(app: FastAPI) -> None:
    interval = float(os.environ.get("GOVPROJ_APPROVAL_EXPIRY_INTERVAL", "3600"))

    async def round_() -> dict[str, Any]:
        done = await for_each_tenant(app.state.sessionmaker, tenants, sweep_tenant)
        return {code: n for code, n in done.items() if n}

    start_periodic(app, "approval-expiry-sweep", interval, round_)
