"""A project's acceptance record: everything the service knows of it, as the API shows it."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.acceptance import checklist, guards, review
from services.acceptance.deps import deadline_dict, iso, row
from services.acceptance.models import (
    Acceptance,
    Deadline,
    Document,
    Evaluation,
    Extension,
    Project,
    Review,
)


async def record(session: AsyncSession, project: Project) -> dict[str, Any]:
    """Everything acceptance knows of a project, for the console and the tests."""
    plan = checklist.plan_review(guards.requirements(project))
    pid = project.id

    async def rows(model: Any, order: Any) -> list[Any]:
        return list(
            (
                await session.scalars(
                    sa.select(model).where(model.project_id == pid).order_by(order)
                )
            ).all()
        )

    reviews = await rows(Review, Review.requested_at)
    # The checklist as the latest review of this submission left it (open, passed or
    # returned); before any review, as the decision makes it now.
    current = [r for r in reviews if r.submission == project.submission]
    decision = project.decision or {}
    return {
        "project_id": str(pid),
        "tenant_id": project.tenant_id,
        "submission": project.submission,
        "name": project.name,
        "unit_id": project.unit_id,
        "amount": project.amount,
        "route": project.route,
        "state": project.state,
        "policy": decision.get("policy"),
        "decision_id": project.decision_id,
        "approval": project.approval,
        "dates": {
            "implementing_on": iso(project.implementing_on),
            "completed_on": iso(project.completed_on),
            "accepted_on": iso(project.accepted_on),
            "in_operation_on": iso(project.in_operation_on),
        },
        "archive_acceptance": project.archive_acceptance,
        "review_plan": {
            "mode": plan.mode,
            "reviewer_role": plan.reviewer_role,
            "article": plan.article,
            "explanation": plan.explanation,
            "acceptance_role": plan.acceptance_role,
            "acceptance_article": plan.acceptance_article,
            "expert_review_article": plan.expert_review_article,
            "report_to": plan.report_to,
        },
        "checklist": current[-1].items if current else review.fresh_items(project),
        "reviews": [
            row(
                r,
                "id",
                "mode",
                "reviewer_role",
                "article",
                "status",
                "items",
                "requested_by",
                "requested_at",
                "decided_by",
                "decided_at",
                "opinion",
            )
            for r in reviews
        ],
        "acceptances": [
            row(
                a,
                "id",
                "outcome",
                "held_on",
                "report_document_id",
                "expert_opinions",
                "conclusion",
                "article",
                "recorded_by",
                "recorded_at",
            )
            for a in await rows(Acceptance, Acceptance.recorded_at)
        ],
        "deadlines": [deadline_dict(d) for d in await rows(Deadline, Deadline.due_on)],
        "extensions": [
            row(
                e,
                "id",
                "deadline_id",
                "requested_until",
                "reason",
                "status",
                "requested_by",
                "decided_by",
                "opinion",
            )
            for e in await rows(Extension, Extension.requested_at)
        ],
        "documents": [
            {"id": str(d.id), "doc_type": d.doc_type, "title": d.title}
            for d in (
                await session.scalars(
                    sa.select(Document)
                    .where(Document.project_ids.contains([str(pid)]))
                    .order_by(Document.seen_at)
                )
            ).all()
        ],
        "evaluations": [
            row(
                e,
                "id",
                "kind",
                "report_document_id",
                "submitted_on",
                "summary",
                "rating",
                "draw_id",
                "article",
                "recorded_by",
            )
            for e in await rows(Evaluation, Evaluation.recorded_at)
        ],
    }
