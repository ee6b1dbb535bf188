"""资金审核 and 预算安排 over events, with the tenant's finance system.

1. ``govproj.approval.step.opened.v1`` with ``code == "finance_review"`` → a
   :class:`FinanceReview` and ``govproj.budget.finance_review.requested.v1`` for
   the finance system (郁南 第十一条第（三）项 / 第十二条第（三）项 / 第三条第（三）项:
   县财政局 出具资金审核意见和资金安排初步意见).
2. ``finance.<tenant>.review.answered`` → the answer is checked (schema, the
   review exists and is open, approved ≤ requested, the years add up), recorded,
   the project's budget takes the approved amount, and
   ``govproj.budget.finance_review.completed.v1`` tells the approval service.
3. ``finance.<tenant>.arrangement.notified`` (预算安排情况通报, 坡头 第十五条) →
   :class:`Arrangement` rows and ``govproj.budget.arrangement.recorded.v1``.

An answer that breaks the contract is dead-lettered with its reason inside
the consumer's transaction (``budget.dead_letter``), and nothing else changes;
its inbox row keeps a redelivery from being judged twice.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
import uuid6
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.events import Event, emit, finance_subject, system_actor
from libs.common.events._envelope import encode_data, event_headers
from services.budget.finance import contract
from services.budget.models import Arrangement, BudgetLine, BudgetProject, FinanceReview

__all__ = [
    "FINANCE_CONSUMER",
    "dead_letter",
    "on_answered",
    "on_arrangement",
    "on_step_opened",
]

FINANCE_CONSUMER = "budget_finance"
ACTOR = "budget.finance"
REQUESTED = "govproj.budget.finance_review.requested.v1"
ANSWERED = "finance.budget.review.answered.v1"
ARRANGEMENT = "finance.budget.arrangement.notified.v1"


class Refused(Exception):
    """A message from finance that breaks the contract: dead-lettered with ``reason``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


async def dead_letter(session: AsyncSession, event: Event, reason: str) -> None:
    """Record ``event`` as a dead letter in the consumer's own transaction (nothing else changes)."""
    await session.execute(
        sa.text(
            "INSERT INTO budget.dead_letter (id, consumer, subject, headers, payload, reason) "
            "VALUES (CAST(:id AS uuid), :consumer, :subject, CAST(:headers AS jsonb), "
            ":payload, :reason)"
        ),
        {
            "id": str(uuid6.uuid7()),
            "consumer": FINANCE_CONSUMER,
            "subject": event.subject,
            "headers": json.dumps(event_headers(event), ensure_ascii=False),
            "payload": encode_data(event.data),
            "reason": reason[:2000],
        },
    )


def guarded(handler: Any) -> Any:
    """Run ``handler``; a :class:`Refused` rolls its effects back and dead-letters the event."""

    async def handle(session: AsyncSession, event: Event) -> None:
        if (why := contract.validate(event.type, event.data)) is not None:
            await dead_letter(session, event, why)
            return
        try:
            async with session.begin_nested():
                await handler(session, event)
        except Refused as exc:
            await dead_letter(session, event, exc.reason)

    handle.__name__ = handler.__name__
    return handle


async def on_step_opened(session: AsyncSession, event: Event) -> None:
    """The workflow reached its finance step: ask the finance system (once per step)."""
    data = event.data
    if data.get("code") != "finance_review":
        return
    tenant = event.tenant
    project_id = uuid.UUID(str(data["project_id"]))
    step_id = str(data["step_id"])
    project = await session.get(BudgetProject, project_id)
    # What is asked of finance: the amount after cost review when the workflow has one.
    asked = data.get("approved_amount") or data.get("amount") or (project.amount if project else 0)
    requested = int(asked)
    review_id = uuid.uuid4()
    inserted = await session.scalar(
        insert(FinanceReview)
        .values(
            id=review_id,
            tenant_id=tenant,
            project_id=project_id,
            submission=int(data.get("submission") or 1),
            workflow_id=str(data.get("workflow_id") or ""),
            step_id=step_id,
            requested_amount=requested,
            article=data.get("article"),
            status="requested",
            requested_at=datetime.now(UTC),
        )
        .on_conflict_do_nothing(index_elements=["tenant_id", "step_id"])
        .returning(FinanceReview.id)
    )
    if inserted is None:  # the same step opened twice (a replay): one request only
        return
    lines = (
        await session.scalars(
            sa.select(BudgetLine)
            .where(BudgetLine.project_id == project_id)
            .order_by(BudgetLine.kind, BudgetLine.year)
        )
    ).all()
    facts = project.facts if project else {}
    await emit(
        session,
        tenant=tenant,
        service="budget",
        aggregate="finance_review",
        event="requested",
        data={
            "tenant": tenant,
            "review_id": str(review_id),
            "project_id": str(project_id),
            "submission": int(data.get("submission") or 1),
            "workflow_id": str(data.get("workflow_id") or ""),
            "step_id": step_id,
            "decision_id": data.get("decision_id"),
            "route": str(data.get("route") or (project.route if project else "")),
            "project_name": data.get("project_name"),
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
            "article": data.get("article"),
            "explanation": data.get("explanation"),
            "reply_to": {
                "subject": finance_subject(tenant, "review", "answered"),
                "type": ANSWERED,
            },
        },
        actor=system_actor(ACTOR, tenant),
    )


def _answered_by(event: Event) -> str:
    return str(event.data.get("answered_by") or event.actor["id"])


async def _answered(session: AsyncSession, event: Event) -> None:
    data = event.data
    review = (
        await session.scalars(
            sa.select(FinanceReview)
            .where(FinanceReview.id == uuid.UUID(data["review_id"]))
            .with_for_update()
        )
    ).first()
    if review is None:
        raise Refused(f"unknown review_id {data['review_id']}")
    if str(review.project_id) != data["project_id"]:
        raise Refused(
            f"review {review.id} is for project {review.project_id}, not {data['project_id']}"
        )
    if review.status != "requested":
        raise Refused(f"review {review.id} was already answered ({review.outcome})")
    outcome = data["outcome"]
    approved = int(data["approved_amount"])
    years: list[dict[str, int]] = list(data.get("funding_by_year") or [])
    if approved > review.requested_amount:
        raise Refused(f"approved_amount {approved} exceeds the requested {review.requested_amount}")
    if outcome == "approve":
        if approved <= 0:
            raise Refused("approve needs approved_amount > 0")
        if years and sum(int(y["amount"]) for y in years) != approved:
            raise Refused(
                f"funding_by_year adds up to {sum(int(y['amount']) for y in years)}, "
                f"not approved_amount {approved}"
            )
        if len({y["year"] for y in years}) != len(years):
            raise Refused("funding_by_year names a year twice")
    elif approved != 0 or years:
        raise Refused(f"{outcome} carries no approved_amount or funding_by_year")
    review.status = "answered"
    review.outcome = outcome
    review.approved_amount = approved
    review.opinion = data["opinion"]
    review.funding_by_year = years
    review.answered_by = _answered_by(event)
    review.answer_event_id = event.id
    review.answered_at = datetime.now(UTC)
    project = await session.get(BudgetProject, review.project_id)
    if project is not None and outcome == "approve" and project.submission == review.submission:
        # The budget follows finance at once: the lines now answer to the approved amount.
        project.finance_approved_amount = approved
        project.approved_amount = approved
        project.updated_at = datetime.now(UTC)
    await session.flush()
    await emit(
        session,
        tenant=event.tenant,
        service="budget",
        aggregate="finance_review",
        event="completed",
        data={
            "tenant": event.tenant,
            "review_id": str(review.id),
            "project_id": str(review.project_id),
            "submission": review.submission,
            "workflow_id": review.workflow_id,
            "step_id": review.step_id,
            "outcome": outcome,
            "requested_amount": review.requested_amount,
            "approved_amount": approved,
            "opinion": review.opinion,
            "funding_by_year": years,
            "answered_by": review.answered_by,
        },
        # The finance system's actor (from its ce-actor) is who decided.
        actor=dict(event.actor),
    )


async def _arrangement(session: AsyncSession, event: Event) -> None:
    data = event.data
    now = datetime.now(UTC)
    recorded: list[dict[str, Any]] = []
    if len({i["project_id"] for i in data["items"]}) != len(data["items"]):
        raise Refused("items name a project twice")
    for item in data["items"]:
        row = await session.scalar(
            insert(Arrangement)
            .values(
                id=uuid.uuid4(),
                tenant_id=event.tenant,
                notice_no=data["notice_no"],
                year=int(data["year"]),
                project_id=uuid.UUID(item["project_id"]),
                amount=int(item["amount"]),
                funding=item.get("funding", "fiscal"),
                notified_on=date.fromisoformat(data["notified_on"]),
                notified_by=data["notified_by"],
                source_event_id=event.id,
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
    await emit(
        session,
        tenant=event.tenant,
        service="budget",
        aggregate="arrangement",
        event="recorded",
        data={
            "tenant": event.tenant,
            "notice_no": data["notice_no"],
            "year": int(data["year"]),
            "notified_on": data["notified_on"],
            "items": recorded,
        },
        actor=dict(event.actor),
    )


async def on_step_completed(session: AsyncSession, event: Event) -> None:
    """A finance step decided by hand (a finance officer in the approval API) closes our request.

    The finance system is told (``finance_review.closed.v1``) so it stops working
    on it, and the project's budget takes the amount the officer approved. When
    the step was completed from the finance system's own answer, the review is
    already answered and nothing happens.
    """
    data = event.data
    if data.get("code") != "finance_review":
        return
    review = (
        await session.scalars(
            sa.select(FinanceReview)
            .where(FinanceReview.step_id == str(data.get("step_id")))
            .with_for_update()
        )
    ).first()
    if review is None or review.status != "requested":
        return
    outcome = str(data.get("outcome") or "")
    raw = data.get("approved_amount")
    approved = int(raw) if isinstance(raw, int) and not isinstance(raw, bool) else None
    if outcome == "approve" and approved is None:
        approved = review.requested_amount
    review.status = "closed"
    review.outcome = outcome
    review.approved_amount = approved if outcome == "approve" else 0
    review.opinion = str(data.get("opinion") or "")
    review.answered_by = str(event.actor.get("id"))
    review.answer_event_id = event.id
    review.answered_at = datetime.now(UTC)
    project = await session.get(BudgetProject, review.project_id)
    if (
        project is not None
        and outcome == "approve"
        and approved is not None
        and project.submission == review.submission
    ):
        project.finance_approved_amount = approved
        project.approved_amount = approved
        project.updated_at = datetime.now(UTC)
    await session.flush()
    await emit(
        session,
        tenant=event.tenant,
        service="budget",
        aggregate="finance_review",
        event="closed",
        data={
            "tenant": event.tenant,
            "review_id": str(review.id),
            "project_id": str(review.project_id),
            "submission": review.submission,
            "step_id": review.step_id,
            "outcome": outcome,
            "approved_amount": review.approved_amount,
            "reason": "财政部门已在审批流程中直接出具意见，本请求无需再答复",
        },
        actor=dict(event.actor),
    )


on_answered = guarded(_answered)
on_arrangement = guarded(_arrangement)
