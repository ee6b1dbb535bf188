"""Reports after acceptance and the 双随机 draw of the post-evaluation.

Kinds of report (each an archive document, each citing the decision's article):

- ``self_evaluation`` 应用效果自评价 (郁南 第二十三条, 坡头 第二十四条, 莱州 第三十四条):
  the unit, once the system runs; in_operation → evaluated; meets ``self_evaluation_due``.
- ``performance_evaluation`` 绩效评价 (莱州 第二十四条 during construction, 郁南/坡头
  after acceptance): the unit; meets ``performance_report_due``.
- ``post_evaluation`` 绩效后评估 of a drawn project (莱州 第三十四条): the bureau, naming
  the committed draw that picked the project (:mod:`.draws`).
- ``standard`` the published 工程标准或团体标准 (莱州 第十五条): meets ``standard_due``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import AuthSubject
from libs.common.errors import Conflict, Forbidden, Invalid
from services.acceptance.completion.documents import compose_evaluation_cover, jurisdiction_of
from services.acceptance.deadlines.service import meet_deadline
from services.acceptance.evaluations import repository
from services.acceptance.evaluations.schemas import EvaluationRead
from services.acceptance.models import Document, Evaluation, Project, publisher
from services.acceptance.outbox import of_project, project_data
from services.acceptance.review.service import check_document
from services.acceptance.rules import check_date, now, require_state, requirements

__all__ = ["KINDS", "submit_evaluation"]

#: kind → (requirement code in the decision, states allowed, roles allowed, document types).
KINDS: Final[Mapping[str, tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...]]]] = {
    "self_evaluation": (
        "self_evaluation",
        ("in_operation", "evaluated"),
        ("unit_officer",),
        ("evaluation_report",),
    ),
    "performance_evaluation": (
        "performance_evaluation",
        ("implementing", "completed", "acceptance_review", "accepted", "in_operation", "evaluated"),
        ("unit_officer",),
        ("evaluation_report",),
    ),
    # ADR 0008: the bureau decides for the jurisdiction; finance acts on its own review steps.
    "post_evaluation": (
        "performance_evaluation",
        ("accepted", "in_operation", "evaluated"),
        ("bureau_officer",),
        ("evaluation_report",),
    ),
    "standard": (
        "standard_authoring",
        ("accepted", "in_operation", "evaluated"),
        ("unit_officer",),
        ("other",),
    ),
}


def _article(project: Project, code: str, *, post: bool | None = None) -> str | None:
    for req in requirements(project):
        if req.get("code") != code:
            continue
        if post is not None and (req.get("stage") == "post") != post:
            continue
        return str(req.get("article"))
    return None


async def submit_evaluation(
    session: AsyncSession,
    project: Project,
    subject: AuthSubject,
    *,
    kind: str,
    report_document_id: uuid.UUID,
    submitted_on: date,
    summary: str,
    rating: str | None,
    draw_id: uuid.UUID | None,
    actor: dict[str, Any],
) -> Evaluation:
    """Record a report after acceptance; a self-evaluation moves in_operation → evaluated."""
    code, states, roles, doc_types = KINDS[kind]
    if not subject.has_role(*roles):
        raise Forbidden(
            f"roles: {kind} 由 {'/'.join(roles)} 提交",
            code="forbidden_role",
            required_roles=list(roles),
        )
    article = _article(project, code, post=True if kind == "post_evaluation" else None)
    if article is None:
        raise Conflict(
            "not_required",
            "本项目的政策判定未规定此项",
            f"kind: 政策判定中没有 {code} 要求",
        )
    require_state(project, *states)
    check_date("submitted_on", submitted_on)
    check_document(
        await session.get(Document, report_document_id),
        project,
        field="report_document_id",
        ident=report_document_id,
        doc_types=doc_types,
    )
    if kind == "post_evaluation":
        picked = await repository.get_draw(session, draw_id) if draw_id else None
        # Only a committed draw counts: a legacy one could have been steered (issue 16).
        if picked is None or picked.status != "drawn" or str(project.id) not in picked.projects:
            raise Invalid("draw_id", "绩效后评估须针对“双随机”抽中的项目（指定经承诺的抽取记录）")
    row = Evaluation(
        **of_project(project),
        kind=kind,
        report_document_id=report_document_id,
        submitted_on=submitted_on,
        summary=summary,
        rating=rating,
        draw_id=draw_id,
        article=article,
        recorded_by=actor,
        recorded_at=now(),
    )
    session.add(row)
    await session.flush()
    data = project_data(
        project,
        evaluation_id=str(row.id),
        kind=kind,
        article=article,
        report_document_id=str(report_document_id),
        submitted_on=submitted_on.isoformat(),
        rating=rating,
        draw_id=str(draw_id) if draw_id else None,
    )
    # The report's cover as a document: the archive files it under the project (issue 18).
    cover = compose_evaluation_cover(
        project,
        EvaluationRead.model_validate(row),
        jurisdiction=await jurisdiction_of(session, project.tenant_id),
    )
    submitted = {**data, "official": cover.model_dump(mode="json")}
    tenant = project.tenant_id
    await publisher.announce(
        session, "evaluation", "submitted", tenant=tenant, actor=actor, data=submitted
    )
    if kind == "self_evaluation" and project.state == "in_operation":
        project.state = "evaluated"
        reason = f"依据{article}提交应用效果自评价报告"
        evaluated = {**data, "reason": reason}
        await publisher.announce(
            session, "project", "evaluated", tenant=tenant, actor=actor, data=evaluated
        )
    if kind != "post_evaluation":
        await meet_deadline(session, project, kind, submitted_on, actor)
    project.updated_at = now()
    return row
