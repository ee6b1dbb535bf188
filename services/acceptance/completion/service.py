"""Completion, acceptance and operation (no HTTP here).

Every step checks the project's state as the registry last reported it and the
caller's role as the decision assigns it (the acceptance requirement's
``actor``), and emits an event naming the actor. A refused step changes nothing
(409/422 problem+json). The review before acceptance is :mod:`services.acceptance.review`.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import AuthSubject
from libs.common.errors import Conflict
from services.acceptance.completion.documents import compose_acceptance, jurisdiction_of
from services.acceptance.completion.schemas import AcceptanceRead
from services.acceptance.deadlines.service import meet_deadline, plan_deadlines
from services.acceptance.models import Acceptance, Project
from services.acceptance.outbox import emit_for, of_project
from services.acceptance.review import checklist
from services.acceptance.review import repository as reviews
from services.acceptance.review.service import (
    check_document,
    fresh_items,
    missing_problem,
    pass_review,
    request_review,
    return_to_completed,
)
from services.acceptance.rules import check_date, now, require_role, require_state, requirements

__all__ = ["declare_completion", "record_acceptance", "start_operation"]


async def declare_completion(
    session: AsyncSession,
    project: Project,
    *,
    completed_on: date,
    note: str | None,
    actor: dict[str, Any],
) -> Project:
    """项目建成: implementing → completed; the acceptance deadline starts (莱州 第二十三条第二款)."""
    require_state(project, "implementing")
    check_date("completed_on", completed_on, not_before=project.implementing_on)
    project.completed_on = completed_on
    project.state = "completed"
    project.updated_at = now()
    await emit_for(
        session,
        project,
        "project",
        "completed",
        actor,
        completed_on=completed_on.isoformat(),
        reason=note or "建设单位申报项目建成",
    )
    await plan_deadlines(session, project, "completed", completed_on, actor)
    return project


async def record_acceptance(
    session: AsyncSession,
    project: Project,
    subject: AuthSubject,
    *,
    outcome: str,
    held_on: date,
    report_document_id: uuid.UUID,
    expert_opinions: list[dict[str, Any]],
    conclusion: str,
    actor: dict[str, Any],
) -> Acceptance:
    """验收: after a passed review (or, without a conformity review, the unit's own check)."""
    plan = checklist.plan_review(requirements(project))
    require_role(subject, plan.acceptance_role, plan.acceptance_article)
    check_date("held_on", held_on, not_before=project.completed_on)
    check_document(
        (await reviews.documents(session, [report_document_id])).get(report_document_id),
        project,
        field="report_document_id",
        ident=report_document_id,
        doc_types=["acceptance_report"],
        label="验收报告",
    )
    if project.state == "completed":
        if plan.mode == "conformity_review":
            raise Conflict(
                "review_required",
                "须先通过符合性审查",
                f"review: 依据{plan.article}，经符合性审查（验收前置审核）通过后方可组织验收",
            )
        # No conformity review for this project (its article says so): the unit's own
        # check of the list opens and closes with the acceptance.
        await request_review(
            session,
            project,
            note=None,
            actor=actor,
            reason=f"依据{plan.article}，{plan.explanation or '无需符合性审查'}；直接组织验收",
        )
    require_state(project, "acceptance_review")
    review = await reviews.open_review(session, project.id)
    if review is None:
        review = await reviews.last_passed(session, project)
    elif review.mode == "conformity_review":
        raise Conflict(
            "review_not_passed",
            "符合性审查尚未通过",
            f"review: 依据{review.article}，经审核通过后方可组织验收",
        )
    items = [
        checklist.apply_archive(i, project.archive_acceptance)
        for i in (review.items if review else fresh_items(project))
    ]
    blocking = checklist.missing(items, "acceptance")
    if blocking:
        raise missing_problem(blocking, "验收")
    if review is not None and review.status == "open":
        review.items = items
        await pass_review(session, project, review, "建设单位核查验收条件齐备", actor)
    row = Acceptance(
        **of_project(project),
        review_id=review.id if review else None,
        outcome=outcome,
        held_on=held_on,
        report_document_id=report_document_id,
        expert_opinions=expert_opinions,
        conclusion=conclusion,
        article=plan.acceptance_article,
        recorded_by=actor,
        recorded_at=now(),
    )
    session.add(row)
    await session.flush()
    common = {
        "acceptance_id": str(row.id),
        "held_on": held_on.isoformat(),
        "report_document_id": str(report_document_id),
        "article": plan.acceptance_article,
        "outcome": outcome,
        "report_to": plan.report_to,
    }
    await emit_for(
        session,
        project,
        "acceptance",
        "recorded",
        actor,
        **common,
        expert_opinions=expert_opinions,
        conclusion=conclusion,
        # The 验收结论 as a document: the archive files it under the project (issue 18).
        official=compose_acceptance(
            project,
            AcceptanceRead.model_validate(row),
            jurisdiction=await jurisdiction_of(session, project.tenant_id),
        ).model_dump(mode="json"),
    )
    if outcome == "passed":
        project.state, project.accepted_on = "accepted", held_on
        await emit_for(
            session,
            project,
            "project",
            "accepted",
            actor,
            **common,
            accepted_on=held_on.isoformat(),
            reason=f"验收通过：{conclusion}",
        )
        await meet_deadline(session, project, "acceptance", held_on, actor)
        await plan_deadlines(session, project, "accepted", held_on, actor)
    else:
        await return_to_completed(
            session, project, actor, **common, reason=f"验收不通过：{conclusion}"
        )
    project.updated_at = now()
    return row


async def start_operation(
    session: AsyncSession, project: Project, *, in_operation_on: date, actor: dict[str, Any]
) -> Project:
    """投入使用: accepted → in_operation; 莱州 第三十四条 counts the self-evaluation from here."""
    require_state(project, "accepted")
    check_date("in_operation_on", in_operation_on, not_before=project.accepted_on)
    project.state, project.in_operation_on = "in_operation", in_operation_on
    project.updated_at = now()
    await emit_for(
        session,
        project,
        "project",
        "in_operation",
        actor,
        in_operation_on=in_operation_on.isoformat(),
        reason="系统投入使用",
    )
    await plan_deadlines(session, project, "in_operation", in_operation_on, actor)
    return project
