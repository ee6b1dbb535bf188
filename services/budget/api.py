"""Budget routes (all under ``/v1``, bearer token, problem+json errors with Chinese titles).

API note for callers (tests of other services included)
-------------------------------------------------------
The budget service learns a project from ``govproj.approval.project.decided.v1``
(``self_managed`` counts as approved at once) and ``approved.v1`` / ``filed.v1``;
until then the project is 404 here. Writes take an optional ``Idempotency-Key``.

``POST /v1/projects/{id}/procurement``  (unit_officer or bureau_officer)
    body ``{"method": "public_tender", "started_on": "2027-03-01"}``; methods:
    public_tender, invitational_tender, competitive_negotiation,
    competitive_consultation, single_source, inquiry, framework_agreement,
    self_procurement. 201 ``{id, project_id, submission, method, started_on}``;
    409 ``project_not_approved`` (title 项目未立项或备案，不能启动采购) unless the
    project is approved or filed (a second start is 409 too). Emits
    ``govproj.budget.project.procurement_started.v1`` {tenant, project_id,
    submission, procurement_id, method, started_on, reason}: registry → procuring.
``POST /v1/projects/{id}/contracts``  (unit_officer or bureau_officer)
    body ``{"supplier": "某公司", "amount": 780000, "signed_on": "2027-04-01",
    "document_id": "<archive document uuid>"}`` (amount: integer yuan > 0).
    201 ``{id, project_id, submission, supplier, amount, signed_on, document_id}``;
    409 ``procurement_not_started`` before procurement. Emits
    ``govproj.budget.project.contracted.v1`` {tenant, project_id, submission,
    contract_id, supplier, amount, signed_on, document_id, reason}: registry →
    implementing (the first contract; later ones only record).
``GET /v1/projects/{id}/procurement``, ``GET /v1/projects/{id}/contracts``.
``GET /v1/projects/{id}/budget``: the project's budget as finance sees it (status,
amount, approved_amount — finance's approved amount once it answered —, lines,
finance reviews, arrangements, disbursed and returned totals, missing mandatory
lines with their articles). ``GET /v1/arrangements?year=YYYY``: the year's
预算安排情况通报 of the caller's visible tenants.

Budget lines and usage (unit_officer or bureau_officer; 422 with ``article`` when
a policy cap is broken, see services/budget/rules.py):
``POST /v1/projects/{id}/lines`` {kind, amount, year?, service_year?, funding?,
finance_opinion_document_id?, note?}; ``POST /v1/projects/{id}/adjustments``
{from_line_id, to_line_id, amount, reason}; ``POST /v1/projects/{id}/disbursements``
{line_id, amount, paid_on, voucher_no, contract_id?} (the same voucher again: 200,
the first payment, nothing doubled); ``POST /v1/projects/{id}/usage-reports``
{period_start, period_end, narrative?}; ``POST /v1/projects/{id}/surplus-returns``
{amount, returned_on, voucher_no, channel: "original"}.

Finance review over events: docs/asyncapi.yaml (generated from
services/budget/finance/contract.py); ``govproj finance simulate --tenant CODE``
answers review requests like a finance system.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Query

from libs.common.auth import CurrentSubject
from libs.common.http import problem_responses
from libs.common.service import DbSession
from services.budget import rules
from services.budget.lines import investment_total, line_out, lines_of, total_of
from services.budget.lines import router as lines_router
from services.budget.models import Arrangement, FinanceReview
from services.budget.procurement import router as procurement_router
from services.budget.projects import require_project
from services.budget.usage import disbursed, surplus_returned
from services.budget.usage import router as usage_router

budget_router = APIRouter(prefix="/v1", tags=["budget"])


def _review_out(r: FinanceReview) -> dict[str, Any]:
    return {
        "id": str(r.id),
        "step_id": r.step_id,
        "workflow_id": r.workflow_id,
        "submission": r.submission,
        "status": r.status,
        "requested_amount": r.requested_amount,
        "outcome": r.outcome,
        "approved_amount": r.approved_amount,
        "opinion": r.opinion,
        "funding_by_year": r.funding_by_year,
        "answered_by": r.answered_by,
        "article": r.article,
    }


def _missing_lines(decision: dict[str, Any], kinds: set[str]) -> list[dict[str, Any]]:
    """Mandatory 监理 / 第三方测试 / 安全评估 the decision requires but no line budgets.

    A kind may be required by several articles (郁南: 第三方测试 by 第十六条第（二）项 from
    100万元, and 第三方验收测评 by 第二十二条 always): each is listed.
    """
    out = []
    for code in rules.INVESTMENT[1:]:
        reqs = [
            r
            for r in decision.get("requirements") or []
            if r.get("code") == code and r.get("mandatory", True)
        ]
        if reqs and code not in kinds:
            out.append(
                {
                    "kind": code,
                    "article": reqs[0]["article"],
                    "articles": [r["article"] for r in reqs],
                    "explanation": reqs[0].get("explanation"),
                }
            )
    return out


@budget_router.get(
    "/projects/{project_id}/budget",
    summary="项目预算概况（批复金额、科目、资金审核、预算安排、支付、结余）",
    responses=problem_responses(),
)
async def get_budget(
    project_id: uuid.UUID, subject: CurrentSubject, session: DbSession
) -> dict[str, Any]:
    project = await require_project(session, project_id)
    lines = await lines_of(session, project.id)
    reviews = (
        await session.scalars(
            sa.select(FinanceReview)
            .where(FinanceReview.project_id == project.id)
            .order_by(FinanceReview.requested_at)
        )
    ).all()
    arrangements = (
        await session.scalars(
            sa.select(Arrangement)
            .where(Arrangement.project_id == project.id)
            .order_by(Arrangement.year, Arrangement.notified_on)
        )
    ).all()
    paid = sum((await disbursed(session, project.id)).values())
    returned = await surplus_returned(session, project.id)
    return {
        "project_id": str(project.id),
        "tenant": project.tenant_id,
        "submission": project.submission,
        "status": project.status,
        "route": project.route,
        "amount": project.amount,
        "approved_amount": project.approved_amount,
        "finance_approved_amount": project.finance_approved_amount,
        "approval": project.approval,
        "total": total_of(project),
        "investment_total": investment_total(lines),
        "lines": [line_out(x) for x in lines],
        "missing_lines": _missing_lines(project.decision or {}, {x.kind for x in lines}),
        "finance_reviews": [_review_out(r) for r in reviews],
        "arrangements": [
            {
                "notice_no": a.notice_no,
                "year": a.year,
                "amount": a.amount,
                "funding": a.funding,
                "notified_on": a.notified_on.isoformat(),
                "notified_by": a.notified_by,
            }
            for a in arrangements
        ],
        "disbursed_total": paid,
        "surplus_returned_total": returned,
        "balance": total_of(project) - paid - returned,
    }


@budget_router.get(
    "/arrangements",
    summary="预算安排情况通报（按年度；财政通报政务服务数据管理部门）",
    responses=problem_responses(),
)
async def list_arrangements(
    subject: CurrentSubject,
    session: DbSession,
    year: int = Query(ge=2000, le=2100, description="预算年度"),
) -> dict[str, Any]:
    """坡头 第十五条: 区财政局应及时将……年度预算安排情况通报区政务服务数据管理局."""
    rows = (
        await session.scalars(
            sa.select(Arrangement)
            .where(Arrangement.year == year)
            .order_by(Arrangement.tenant_id, Arrangement.notified_on, Arrangement.notice_no)
        )
    ).all()
    return {
        "year": year,
        "total": sum(a.amount for a in rows),
        "items": [
            {
                "tenant": a.tenant_id,
                "notice_no": a.notice_no,
                "project_id": str(a.project_id),
                "amount": a.amount,
                "funding": a.funding,
                "notified_on": a.notified_on.isoformat(),
                "notified_by": a.notified_by,
            }
            for a in rows
        ],
    }


router = APIRouter()
router.include_router(procurement_router)
router.include_router(lines_router)
router.include_router(usage_router)
router.include_router(budget_router)
