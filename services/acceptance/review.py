"""The pre-acceptance review (验收前置审核 / 符合性审查): its checklist, evidence, decision."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import AuthSubject
from libs.common.errors import Problem
from libs.common.events import emit
from services.acceptance import checklist
from services.acceptance.guards import project_data, require_role, require_state, requirements
from services.acceptance.models import Document, Project, Review
from services.acceptance.records import SERVICE, apply_archive, now, open_review


def fresh_items(project: Project) -> list[dict[str, Any]]:
    return [apply_archive(i, project) for i in checklist.build_items(requirements(project))]


async def request_review(
    session: AsyncSession,
    project: Project,
    *,
    note: str | None,
    actor: dict[str, Any],
    reason: str | None = None,
) -> Review:
    """验收前置审核 opens: completed → acceptance_review, with the checklist of the decision."""
    require_state(project, "completed")
    plan = checklist.plan_review(requirements(project))
    items = fresh_items(project)
    previous = (
        await session.scalars(
            sa.select(Review)
            .where(Review.project_id == project.id, Review.submission == project.submission)
            .order_by(Review.requested_at.desc())
            .limit(1)
        )
    ).first()
    if previous is not None:
        # A returned review's evidence stays named: the unit adds what was missing.
        kept = {i["code"]: i for i in previous.items if not i.get("archive_decision")}
        items = [
            {**i, **{k: kept[i["code"]][k] for k in ("evidence_document_ids", "satisfied")}}
            if i["code"] in kept
            else i
            for i in items
        ]
    review = Review(
        id=uuid.uuid4(),
        tenant_id=project.tenant_id,
        project_id=project.id,
        submission=project.submission,
        mode=plan.mode,
        reviewer_role=plan.reviewer_role,
        article=plan.article,
        status="open",
        items=items,
        requested_by=actor,
        requested_at=now(),
    )
    session.add(review)
    project.state = "acceptance_review"
    project.updated_at = now()
    await session.flush()
    why = reason or (
        f"依据{plan.article}，报请符合性审查（验收前置审核）"
        if plan.mode == "conformity_review"
        else f"依据{plan.article}，建设单位核查验收条件"
    )
    await emit(
        session,
        tenant=project.tenant_id,
        service=SERVICE,
        aggregate="project",
        event="review_requested",
        data=project_data(
            project,
            review_id=str(review.id),
            mode=plan.mode,
            reviewer_role=plan.reviewer_role,
            article=plan.article,
            explanation=plan.explanation,
            items=review.items,
            note=note,
            reason=why,
        ),
        actor=actor,
    )
    return review


async def own_documents(
    session: AsyncSession, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Document]:
    rows = (await session.scalars(sa.select(Document).where(Document.id.in_(ids)))).all()
    return {d.id: d for d in rows}


async def attach_evidence(
    session: AsyncSession,
    project: Project,
    *,
    code: str,
    document_ids: Sequence[uuid.UUID],
    note: str | None,
    actor: dict[str, Any],
) -> Review:
    """Name the archive documents that prove one checklist item (replacing earlier ones)."""
    require_state(project, "acceptance_review")
    review = await open_review(session, project.id)
    if review is None:
        raise Problem.conflict(
            "no_open_review", "没有进行中的验收前置审核", "review: 请先申请验收前置审核"
        )
    item = next((i for i in review.items if i["code"] == code), None)
    if item is None:
        raise Problem.not_found("审核事项", code)
    if item.get("archive_decision"):
        raise Problem.conflict(
            "archive_decided",
            "该事项由档案验收结论确定",
            f"code: {code} 只能由档案验收通过（电子档案服务）满足，不能指定文件",
        )
    found = await own_documents(session, document_ids)
    for i, doc_id in enumerate(document_ids):
        doc = found.get(doc_id)
        if doc is None or doc.tenant_id != project.tenant_id:
            raise Problem.invalid(f"evidence_document_ids[{i}]", f"电子档案中没有文件 {doc_id}")
        if str(project.id) not in doc.project_ids:
            raise Problem.invalid(
                f"evidence_document_ids[{i}]",
                f"文件 {doc_id} 未归入本项目档案（请在电子档案中关联本项目）",
            )
        if item["doc_types"] and doc.doc_type not in item["doc_types"]:
            raise Problem.invalid(
                f"evidence_document_ids[{i}]",
                f"文件类型为 {doc.doc_type}，{item['label']}须为 {'/'.join(item['doc_types'])}",
            )
    updated = {
        **item,
        "evidence_document_ids": [str(d) for d in document_ids],
        "satisfied": bool(document_ids),
        "note": note,
    }
    review.items = [updated if i["code"] == code else i for i in review.items]
    await emit(
        session,
        tenant=project.tenant_id,
        service=SERVICE,
        aggregate="review",
        event="item_updated",
        data=project_data(project, review_id=str(review.id), item=updated),
        actor=actor,
    )
    return review


def missing_problem(items: Sequence[Mapping[str, Any]], what: str) -> Problem:
    names = "、".join(
        f"{i['label']}（{'、'.join(str(c['article']) for c in i['citations'] if c['mandatory'])}）"
        for i in items
    )
    return Problem(
        409,
        "checklist_incomplete",
        f"缺少{what}必备材料",
        f"items: 以下必备事项尚无证明材料：{names}",
        extra={"missing": [i["code"] for i in items]},
    )


async def pass_review(
    session: AsyncSession,
    project: Project,
    review: Review,
    opinion: str | None,
    actor: dict[str, Any],
) -> None:
    blocking = checklist.missing(review.items, "review")
    if blocking:
        raise missing_problem(blocking, "验收前置审核")
    review.status, review.decided_by, review.decided_at = "passed", actor, now()
    review.opinion = opinion
    await emit(
        session,
        tenant=project.tenant_id,
        service=SERVICE,
        aggregate="review",
        event="passed",
        data=project_data(
            project,
            review_id=str(review.id),
            mode=review.mode,
            article=review.article,
            opinion=opinion,
            items=review.items,
        ),
        actor=actor,
    )


async def decide_review(
    session: AsyncSession,
    project: Project,
    subject: AuthSubject,
    *,
    outcome: str,
    opinion: str,
    actor: dict[str, Any],
) -> Review:
    """The reviewer passes the review (all mandatory items proved) or returns it."""
    require_state(project, "acceptance_review")
    review = await open_review(session, project.id)
    if review is None:
        raise Problem.conflict("no_open_review", "没有进行中的验收前置审核", "review: 审核已结束")
    require_role(subject, review.reviewer_role, review.article)
    if outcome == "pass":
        await pass_review(session, project, review, opinion, actor)
        return review
    review.status, review.decided_by, review.decided_at = "returned", actor, now()
    review.opinion = opinion
    project.state = "completed"
    await emit(
        session,
        tenant=project.tenant_id,
        service=SERVICE,
        aggregate="project",
        event="review_returned",
        data=project_data(
            project,
            review_id=str(review.id),
            article=review.article,
            reason=f"验收前置审核退回：{opinion}",
        ),
        actor=actor,
    )
    return review
