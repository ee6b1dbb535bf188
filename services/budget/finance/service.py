"""资金审核 and 预算安排 with the tenant's finance system: the rules and state changes.

1. The workflow reaches its finance step → a :class:`FinanceReview` and
   ``govproj.budget.finance_review.requested.v1`` for the finance system
   (郁南 第十一条第（三）项 / 第十二条第（三）项 / 第三条第（三）项: 县财政局 出具资金审核意见和
   资金安排初步意见).
2. The finance system answers → the answer is checked (the review exists, is
   open and is the project's, approved ≤ requested, the years add up), recorded,
   the project's budget takes the approved amount, and
   ``govproj.budget.finance_review.completed.v1`` tells the approval service.
3. A finance officer decides the step by hand in the approval API → the
   request is closed (``finance_review.closed.v1``) and the budget follows.
4. A 预算安排情况通报 (坡头 第十五条) → :class:`Arrangement` rows and
   ``govproj.budget.arrangement.recorded.v1``.

An answer that breaks these rules raises :class:`~libs.common.events.Reject`: the
consumer runner dead-letters it with the reason in its transaction and nothing
else changes; its inbox row keeps a redelivery from being judged twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.errors import Conflict
from libs.common.events import Reject, finance_subject, system_actor
from services.budget.finance import repository
from services.budget.finance.schemas import ArrangementCreate
from services.budget.lines import repository as lines_repository
from services.budget.lines import rules
from services.budget.lines.service import (
    adjustment_out,
    investment_total,
    line_out,
    missing_lines,
    total_of,
)
from services.budget.models import (
    Adjustment,
    Arrangement,
    BudgetLine,
    BudgetProject,
    Disbursement,
    FinanceReview,
    UsageReport,
)
from services.budget.outbox import announce
from services.budget.replica import ACTIVE, status_text
from services.budget.usage import repository as usage_repository
from services.budget.usage.service import disbursements_out

__all__ = [
    "ACTOR",
    "ANSWERED",
    "ARRANGEABLE",
    "arrange",
    "budget_of",
    "close_by_hand",
    "record_answer",
    "record_arrangement",
    "request_review",
    "summary_of",
]

ACTOR = "budget.finance"
ANSWERED = "finance.budget.review.answered.v1"


async def request_review(session: AsyncSession, *, tenant: str, step: Mapping[str, Any]) -> None:
    """The workflow reached its finance step: ask the finance system (once per step)."""
    project_id = uuid.UUID(str(step["project_id"]))
    step_id = str(step["step_id"])
    submission = int(step.get("submission") or 1)
    workflow_id = str(step.get("workflow_id") or "")
    project = await session.get(BudgetProject, project_id)
    if project is not None and project.name is None and step.get("project_name"):
        # A project known from before names were kept (migration 0006) learns its name here.
        project.name = str(step["project_name"])
    # What is asked of finance: the amount after cost review when the workflow has one.
    asked = step.get("approved_amount") or step.get("amount") or (project.amount if project else 0)
    requested = int(asked)
    review_id = uuid.uuid4()
    inserted = await session.scalar(
        insert(FinanceReview)
        .values(
            id=review_id,
            tenant_id=tenant,
            project_id=project_id,
            submission=submission,
            workflow_id=workflow_id,
            step_id=step_id,
            requested_amount=requested,
            article=step.get("article"),
            status="requested",
            requested_at=datetime.now(UTC),
        )
        .on_conflict_do_nothing(index_elements=["tenant_id", "step_id"])
        .returning(FinanceReview.id)
    )
    if inserted is None:  # the same step opened twice (a replay): one request only
        return
    lines = await repository.lines_for_request(session, project_id)
    facts = project.facts if project else {}
    await announce(
        session,
        tenant,
        "finance_review",
        "requested",
        {
            "review_id": str(review_id),
            "project_id": str(project_id),
            "submission": submission,
            "workflow_id": workflow_id,
            "step_id": step_id,
            "decision_id": step.get("decision_id"),
            "route": str(step.get("route") or (project.route if project else "")),
            "project_name": step.get("project_name"),
            "requested_amount": requested,
            "project_class": facts.get("project_class"),
            "new_fiscal_funds": facts.get("new_fiscal_funds"),
            "lines": [
                {
                    "id": str(x.id),
                    "kind": x.kind,
                    "year": x.year,
                    "service_year": x.service_year,
                    "amount": x.amount,
                    "funding": x.funding,
                }
                for x in lines
            ],
            "article": step.get("article"),
            "explanation": step.get("explanation"),
            "reply_to": {
                "subject": finance_subject(tenant, "review", "answered"),
                "type": ANSWERED,
            },
        },
        system_actor(ACTOR, tenant),
    )


def _check_answer(review: FinanceReview, outcome: str, approved: int, years: list[Any]) -> None:
    """The business rules of an answer (its JSON Schema was checked before)."""
    if approved > review.requested_amount:
        raise Reject(f"approved_amount {approved} exceeds the requested {review.requested_amount}")
    if outcome != "approve":
        if approved != 0 or years:
            raise Reject(f"{outcome} carries no approved_amount or funding_by_year")
        return
    if approved <= 0:
        raise Reject("approve needs approved_amount > 0")
    if years and sum(int(y["amount"]) for y in years) != approved:
        raise Reject(
            f"funding_by_year adds up to {sum(int(y['amount']) for y in years)}, "
            f"not approved_amount {approved}"
        )
    if len({y["year"] for y in years}) != len(years):
        raise Reject("funding_by_year names a year twice")


async def _budget_follows(session: AsyncSession, review: FinanceReview) -> None:
    """The budget follows finance at once: the lines now answer to the approved amount."""
    project = await session.get(BudgetProject, review.project_id)
    approved = review.approved_amount
    if (
        project is not None
        and review.outcome == "approve"
        and approved is not None
        and project.submission == review.submission
    ):
        project.finance_approved_amount = approved
        project.approved_amount = approved
        project.updated_at = datetime.now(UTC)


async def _close(
    session: AsyncSession,
    review: FinanceReview,
    *,
    status: str,
    outcome: str,
    approved: int | None,
    opinion: str,
    answered_by: str,
    event_id: str,
) -> None:
    """Record how ``review`` ended, the budget following it, and flush (its event comes next)."""
    review.status = status
    review.outcome = outcome
    review.approved_amount = approved
    review.opinion = opinion
    review.answered_by = answered_by
    review.answer_event_id = event_id
    review.answered_at = datetime.now(UTC)
    await _budget_follows(session, review)
    await session.flush()


def _review_event(review: FinanceReview, **more: Any) -> dict[str, Any]:
    """What every event about an answered or closed review says first."""
    head = {
        "review_id": str(review.id),
        "project_id": str(review.project_id),
        "submission": review.submission,
    }
    if "workflow_id" in more:  # completed.v1 names the workflow before the step
        head["workflow_id"] = more.pop("workflow_id")
    return {**head, "step_id": review.step_id, "outcome": review.outcome, **more}


async def record_answer(
    session: AsyncSession,
    *,
    tenant: str,
    answer: Mapping[str, Any],
    actor: Mapping[str, Any],
    event_id: str,
) -> None:
    """Judge and record the finance system's answer to a review request."""
    review = await repository.review_by_id(session, uuid.UUID(answer["review_id"]))
    if review is None:
        raise Reject(f"unknown review_id {answer['review_id']}")
    if str(review.project_id) != answer["project_id"]:
        raise Reject(
            f"review {review.id} is for project {review.project_id}, not {answer['project_id']}"
        )
    if review.status != "requested":
        raise Reject(f"review {review.id} was already answered ({review.outcome})")
    outcome = str(answer["outcome"])
    approved = int(answer["approved_amount"])
    years: list[dict[str, int]] = list(answer.get("funding_by_year") or [])
    _check_answer(review, outcome, approved, years)
    review.funding_by_year = years
    await _close(
        session,
        review,
        status="answered",
        outcome=outcome,
        approved=approved,
        opinion=str(answer["opinion"]),
        answered_by=str(answer.get("answered_by") or actor["id"]),
        event_id=event_id,
    )
    completed = _review_event(
        review,
        workflow_id=review.workflow_id,
        requested_amount=review.requested_amount,
        approved_amount=approved,
        opinion=review.opinion,
        funding_by_year=years,
        answered_by=review.answered_by,
    )
    # The finance system's actor (from its ce-actor) is who decided.
    await announce(session, tenant, "finance_review", "completed", completed, actor)


async def close_by_hand(
    session: AsyncSession,
    *,
    tenant: str,
    step: Mapping[str, Any],
    actor: Mapping[str, Any],
    event_id: str,
) -> None:
    """A finance step decided by a finance officer in the approval API closes our request.

    The finance system is told (``finance_review.closed.v1``) so it stops working
    on it. When the step was completed from the finance system's own answer,
    the review is already answered and nothing happens.
    """
    review = await repository.review_by_step(session, str(step.get("step_id")))
    if review is None or review.status != "requested":
        return
    outcome = str(step.get("outcome") or "")
    raw = step.get("approved_amount")
    approved = int(raw) if isinstance(raw, int) and not isinstance(raw, bool) else None
    if outcome == "approve" and approved is None:
        approved = review.requested_amount
    await _close(
        session,
        review,
        status="closed",
        outcome=outcome,
        approved=approved if outcome == "approve" else 0,
        opinion=str(step.get("opinion") or ""),
        answered_by=str(actor.get("id")),
        event_id=event_id,
    )
    closed = _review_event(
        review,
        approved_amount=review.approved_amount,
        reason="财政部门已在审批流程中直接出具意见，本请求无需再答复",
    )
    await announce(session, tenant, "finance_review", "closed", closed, actor)


async def record_arrangement(
    session: AsyncSession,
    *,
    tenant: str,
    notice: Mapping[str, Any],
    actor: Mapping[str, Any],
    event_id: str,
) -> None:
    """One 预算安排情况通报: each project's line once per notice number."""
    items = notice["items"]
    if len({i["project_id"] for i in items}) != len(items):
        raise Reject("items name a project twice")
    now = datetime.now(UTC)
    recorded: list[dict[str, Any]] = []
    for item in items:
        row = await session.scalar(
            insert(Arrangement)
            .values(
                id=uuid.uuid4(),
                tenant_id=tenant,
                notice_no=notice["notice_no"],
                year=int(notice["year"]),
                project_id=uuid.UUID(item["project_id"]),
                amount=int(item["amount"]),
                funding=item.get("funding", "fiscal"),
                notified_on=date.fromisoformat(notice["notified_on"]),
                notified_by=notice["notified_by"],
                source_event_id=event_id,
                created_at=now,
            )
            # The same notice sent again records nothing new.
            .on_conflict_do_nothing(index_elements=["tenant_id", "notice_no", "project_id"])
            .returning(Arrangement.id)
        )
        if row is not None:
            recorded.append(
                {
                    "project_id": item["project_id"],
                    "amount": int(item["amount"]),
                    "funding": item.get("funding", "fiscal"),
                }
            )
    if not recorded:
        return
    notified = {
        "notice_no": notice["notice_no"],
        "year": int(notice["year"]),
        "notified_on": notice["notified_on"],
        "items": recorded,
    }
    await announce(session, tenant, "arrangement", "recorded", notified, actor)


# Finance arranges money for a project under review (资金安排初步意见) or approved.
ARRANGEABLE = frozenset({"under_review", *ACTIVE})


async def arrange(
    session: AsyncSession,
    *,
    project: BudgetProject,
    body: ArrangementCreate,
    actor: Mapping[str, Any],
) -> dict[str, Any]:
    """A 预算安排 the finance office records on the console: the notice's path, with one item."""
    if project.status not in ARRANGEABLE:
        raise Conflict(
            "project_not_arrangeable",
            "项目当前状态不能安排预算",
            f"项目当前状态为 {status_text(project)}",
        )
    if await repository.arrangement_exists(session, project.id, body.notice_no):
        raise Conflict("notice_recorded", "该文号已为本项目登记预算安排", f"文号 {body.notice_no}")
    notice = {
        "notice_no": body.notice_no,
        "year": body.year,
        "notified_on": body.notified_on.isoformat(),
        "notified_by": str(actor.get("name") or actor.get("id")),
        "items": [{"project_id": str(project.id), "amount": body.amount, "funding": body.funding}],
    }
    # The recorded row names where it came from: this request, not a FINANCE stream event.
    await record_arrangement(
        session,
        tenant=project.tenant_id,
        notice=notice,
        actor=actor,
        event_id=f"api-{uuid.uuid4()}",
    )
    return {
        "notice_no": body.notice_no,
        "year": body.year,
        "amount": body.amount,
        "funding": body.funding,
        "notified_on": body.notified_on.isoformat(),
        "notified_by": notice["notified_by"],
    }


def _adjustments_out(project: BudgetProject, rows: list[Adjustment]) -> list[dict[str, Any]]:
    cap, _ = rules.adjustment_cap(project.decision or {}, total_of(project))
    out, running = [], 0
    for a in rows:
        running += a.amount
        out.append(adjustment_out(a, adjusted_total=running, cap=cap))
    return out


def _lines_out(lines: list[BudgetLine], paid: Mapping[uuid.UUID, int]) -> list[dict[str, Any]]:
    """Each line with 计划 (its amount), 已用 and 剩余."""
    return [
        {
            **line_out(x),
            "disbursed_total": paid.get(x.id, 0),
            "balance": x.amount - paid.get(x.id, 0),
        }
        for x in lines
    ]


def usage_due(
    project: BudgetProject, payments: list[Disbursement], reports: list[UsageReport]
) -> dict[str, Any] | None:
    """Payments no usage report covers yet, where the decision requires reports (坡头 第十五条).

    A pack without the requirement asks nothing: no reminder is invented.
    """
    required = rules.requirement(project.decision or {}, "fund_usage_report")
    if required is None:
        return None
    since = max((r.period_end for r in reports), default=None)
    unreported = sum(d.amount for d in payments if since is None or d.paid_on > since)
    if not unreported:
        return None
    return {"amount": unreported, "since": since, "article": str(required["article"])}


async def budget_of(session: AsyncSession, project: BudgetProject) -> dict[str, Any]:
    """项目预算概况: lines with what was used, reviews, arrangements, payments, reports, returns."""
    lines = await lines_repository.lines_of(session, project.id)
    by_line = await usage_repository.disbursed(session, project.id)
    paid = sum(by_line.values())
    returned = await usage_repository.surplus_returned(session, project.id)
    payments = await usage_repository.disbursements_of(session, project.id)
    reports = await usage_repository.usage_reports_of(session, project.id)
    arrangements = await repository.arrangements_of(session, project.id)
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
        "lines": _lines_out(lines, by_line),
        "missing_lines": missing_lines(project.decision or {}, {x.kind for x in lines}),
        "finance_reviews": await repository.reviews_of(session, project.id),
        "arrangements": arrangements,
        "adjustments": _adjustments_out(
            project, await lines_repository.adjustments_of(session, project.id)
        ),
        "disbursements": disbursements_out(payments, lines),
        "usage_reports": [
            {
                "report_id": str(r.id),
                "period_start": r.period_start,
                "period_end": r.period_end,
                "article": r.article,
                "narrative": r.narrative,
                "figures": r.figures,
            }
            for r in reports
        ],
        "usage_report_due": usage_due(project, payments, reports),
        "surplus_returns": [
            {
                "surplus_id": str(r.id),
                "amount": r.amount,
                "returned_on": r.returned_on,
                "channel": r.channel,
                "voucher_no": r.voucher_no,
                "article": r.article,
            }
            for r in await usage_repository.surplus_returns_of(session, project.id)
        ],
        "arranged_total": sum(a.amount for a in arrangements),
        "disbursed_total": paid,
        "surplus_returned_total": returned,
        "balance": total_of(project) - paid - returned,
    }


def summary_of(row: Mapping[str, Any]) -> dict[str, Any]:
    """One overview row from :func:`repository.budget_page`'s project and its sums."""
    project: BudgetProject = row["project"]
    return {
        "project_id": project.id,
        "tenant": project.tenant_id,
        "name": project.name,
        "unit_id": project.unit_id,
        "status": project.status,
        "route": project.route,
        "amount": project.amount,
        "finance_review_status": row["review_status"],
        "finance_review_outcome": row["review_outcome"],
        "finance_approved_amount": project.finance_approved_amount,
        "approved_amount": project.approved_amount,
        "arranged_total": row["arranged"],
        "disbursed_total": row["paid"],
        "surplus_returned_total": row["returned"],
        "balance": total_of(project) - row["paid"] - row["returned"],
    }
