"""The approval document (立项批复 / 备案确认): number, validity, budget year, duties (no HTTP).

- Number: ``<jurisdiction's first character>政数立〔year〕N号`` (备案: 政数备),
  one counter per jurisdiction, year and kind.
- Validity: the decision's ``approval_validity`` time limit (郁南 第十二条第（二）项:
  审批意见有效期为两年); an approval past it before procurement started is
  announced once (``govproj.approval.approval.expired.v1``, :func:`sweep_expired`).
- Budget year: the decision's ``approval_due`` cut-off (坡头 第十四条: 9月30日).
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.deadlines import add_period, today_in_china
from libs.common.events import system_actor
from libs.gongwen import OfficialDocument
from services.approval.documents import official, repository
from services.approval.models import ApprovalDocument, Workflow
from services.approval.workflow import plan
from services.approval.workflow.publish import announce

EXPIRY_ACTOR = "approval.expiry"


def budget_year_of(
    approved_on: date, limit: dict[str, Any] | None
) -> tuple[int | None, bool | None]:
    """The budget year an approval enters, and whether it made the cut-off for next year's.

    坡头 第十四条: a project for next year should be approved by 9月30日 of this
    year; approved later, it does not (原则上) enter next year's budget.
    """
    if limit is None or not limit.get("date"):
        return None, None
    _, month, day = str(limit["date"]).split("-")[-3:]
    cutoff = date(approved_on.year, int(month), int(day))
    if approved_on <= cutoff:
        return approved_on.year + 1, True
    return approved_on.year + 2, False


async def _number(session: AsyncSession, tenant: str, year: int, kind: str) -> str:
    seq = await repository.next_number(session, tenant, year, kind)
    short = (await repository.tenant_name(session, tenant) or tenant)[0]
    label = "政数立" if kind == "approval" else "政数备"
    return f"{short}{label}〔{year}〕{seq}号"


async def issue(
    session: AsyncSession, wf: Workflow, decision: dict[str, Any], *, kind: str
) -> ApprovalDocument:
    """Issue the document of an approved (``approval``) or filed (``filing``) project workflow."""
    approved_on = today_in_china()
    validity = plan.time_limit(decision, "approval_validity")
    cutoff = plan.time_limit(decision, "approval_due")
    budget_year, in_time = budget_year_of(approved_on, cutoff)
    doc = ApprovalDocument(
        id=uuid.uuid4(),
        tenant_id=wf.tenant_id,
        workflow_id=wf.id,
        project_id=wf.project_id,
        kind=kind,
        number=await _number(session, wf.tenant_id, approved_on.year, kind),
        approved_on=approved_on,
        approved_amount=wf.approved_amount if wf.approved_amount is not None else wf.amount,
        article=wf.route_article,
        valid_until=add_period(approved_on, validity["period"]) if validity else None,
        validity_article=validity["article"] if validity else None,
        budget_year=budget_year,
        enters_next_year_budget=in_time,
        cutoff_article=cutoff["article"] if cutoff else None,
        duties=plan.duties(decision),
        expired_notified=False,
        created_at=datetime.now(UTC),
    )
    session.add(doc)
    await session.flush()
    return doc


async def official_document(
    session: AsyncSession, wf: Workflow, doc: ApprovalDocument, decision: dict[str, Any]
) -> OfficialDocument:
    """The document as an official document (公文): who issues it, to whom, what it says."""
    return official.compose(
        doc,
        wf,
        decision,
        tenant_name=await repository.tenant_name(session, wf.tenant_id),
        unit_name=await repository.unit_name(session, wf.unit_id),
    )


def is_expired(doc: ApprovalDocument, today: date | None = None) -> bool:
    """Past its validity (the day after ``valid_until``)."""
    return doc.valid_until is not None and (today or today_in_china()) > doc.valid_until


def document_view(doc: ApprovalDocument, today: date | None = None) -> dict[str, Any]:
    """The document as events carry it (``project.approved``'s ``approval``) and the API shows it."""
    return {
        "id": str(doc.id),
        "kind": doc.kind,
        "number": doc.number,
        "approved_on": doc.approved_on.isoformat(),
        "approved_amount": doc.approved_amount,
        "article": doc.article,
        "valid_until": doc.valid_until.isoformat() if doc.valid_until else None,
        "validity_article": doc.validity_article,
        "expired": is_expired(doc, today),
        "budget_year": doc.budget_year,
        "enters_next_year_budget": doc.enters_next_year_budget,
        "cutoff_article": doc.cutoff_article,
        "implementation_started_on": (
            doc.implementation_started_on.isoformat() if doc.implementation_started_on else None
        ),
        "duties": doc.duties,
    }


async def sweep_expired(session: AsyncSession, tenant: str, today: date | None = None) -> int:
    """Emit ``approval.expired`` for this tenant's approvals past validity, once each."""
    today = today or today_in_china()
    rows = await repository.expired_unannounced(session, tenant, today)
    for doc, wf in rows:
        doc.expired_notified = True
        await announce(
            session,
            tenant=tenant,
            aggregate="approval",
            event="expired",
            actor=dict(system_actor(EXPIRY_ACTOR, tenant)),
            project_id=str(doc.project_id),
            submission=wf.submission,
            workflow_id=str(wf.id),
            number=doc.number,
            approved_on=doc.approved_on.isoformat(),
            valid_until=doc.valid_until.isoformat() if doc.valid_until else None,
            article=doc.validity_article,
            reason=f"立项审批意见 {doc.number} 已超过有效期（{doc.validity_article}），"
            f"有效期至 {doc.valid_until}，项目尚未开始采购",
        )
    return len(rows)
