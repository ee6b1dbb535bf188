"""Queries behind a project's acceptance record (RLS: the caller's visible tenants)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.acceptance.completion.schemas import AcceptanceRecordRead, DatesRead
from services.acceptance.deadlines import repository as deadlines
from services.acceptance.models import Acceptance, Evaluation, Extension, Project
from services.acceptance.review import checklist
from services.acceptance.review import repository as reviews
from services.acceptance.review.service import fresh_items
from services.acceptance.rules import requirements

__all__ = ["record"]


async def _of_project(
    session: AsyncSession, model: Any, project_id: uuid.UUID, order: Any
) -> Sequence[Any]:
    return (
        await session.scalars(
            sa.select(model).where(model.project_id == project_id).order_by(order)
        )
    ).all()


async def record(session: AsyncSession, project: Project) -> AcceptanceRecordRead:
    """Everything acceptance knows of a project, as ``GET /projects/{id}/acceptance`` shows it."""
    pid = project.id
    plan = checklist.plan_review(requirements(project))
    all_reviews = await reviews.for_project(session, pid)
    # The checklist as the latest review of this submission left it (open, passed or
    # returned); before any review, as the decision makes it now.
    current = [r for r in all_reviews if r.submission == project.submission]
    decision = project.decision or {}
    return AcceptanceRecordRead.model_validate(
        {
            "project_id": pid,
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
            "dates": DatesRead.model_validate(project),
            "archive_acceptance": project.archive_acceptance,
            "review_plan": plan,
            "checklist": current[-1].items if current else fresh_items(project),
            "reviews": all_reviews,
            "acceptances": await _of_project(session, Acceptance, pid, Acceptance.recorded_at),
            "deadlines": await deadlines.for_project(session, pid),
            "extensions": await _of_project(session, Extension, pid, Extension.requested_at),
            "documents": await reviews.of_project(session, pid),
            "evaluations": await _of_project(session, Evaluation, pid, Evaluation.recorded_at),
        }
    )
