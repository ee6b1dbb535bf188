"""The pre-acceptance review (验收前置审核 / 符合性审查): its checklist, evidence, decision.

No HTTP here. The checklist and the reviewer come from the decision
(:mod:`.checklist`); evidence must be an archive document of the project's
tenant, filed under the project, of the item's type (422 naming the index).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import AuthSubject
from libs.common.errors import Conflict, Invalid, NotFound
from libs.vocab import label as vocab_label
from services.acceptance.models import Document, Project, Review
from services.acceptance.outbox import emit_for, of_project
from services.acceptance.review import checklist, repository
from services.acceptance.rules import now, require_role, require_state, requirements

__all__ = [
    "attach_evidence",
    "check_document",
    "decide_review",
    "fresh_items",
    "missing_problem",
    "pass_review",
    "request_review",
    "return_to_completed",
]


def fresh_items(project: Project) -> list[dict[str, Any]]:
    """The checklist the decision makes now, its archive item as the archive decided it."""
    return [
        checklist.apply_archive(i, project.archive_acceptance)
        for i in checklist.build_items(requirements(project))
    ]


def check_document(
    doc: Document | None,
    project: Project,
    *,
    field: str,
    ident: uuid.UUID,
    doc_types: Sequence[str] | None,
    label: str | None = None,
) -> Document:
    """422 naming ``field`` unless ``doc`` is an archive document of the project, of a listed type."""
    if doc is None or doc.tenant_id != project.tenant_id:
        raise Invalid(field, "电子档案中没有所选文件")
    if str(project.id) not in doc.project_ids:
        raise Invalid(field, "所选文件未归入本项目档案（请在电子档案中关联本项目）")
    if doc_types and doc.doc_type not in doc_types:
        expected = "或".join(vocab_label("document_type", t) for t in doc_types)
        given = vocab_label("document_type", doc.doc_type)
        raise Invalid(field, f"所选文件的类型为{given}，{label or ''}须为{expected}")
    return doc


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
    previous = await repository.last_of_submission(session, project)
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
        **of_project(project),
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
    await emit_for(
        session,
        project,
        "project",
        "review_requested",
        actor,
        review_id=str(review.id),
        mode=plan.mode,
        reviewer_role=plan.reviewer_role,
        article=plan.article,
        explanation=plan.explanation,
        items=review.items,
        note=note,
        reason=why,
    )
    return review


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
    review = await _open_review(session, project, otherwise="请先申请验收前置审核")
    item = next((i for i in review.items if i["code"] == code), None)
    if item is None:
        raise NotFound("审核事项", code)
    if item.get("archive_decision"):
        raise Conflict(
            "archive_decided",
            "该事项由档案验收结论确定",
            f"code: {code} 只能由档案验收通过（电子档案服务）满足，不能指定文件",
        )
    found = await repository.documents(session, document_ids)
    for i, doc_id in enumerate(document_ids):
        check_document(
            found.get(doc_id),
            project,
            field=f"evidence_document_ids[{i}]",
            ident=doc_id,
            doc_types=item["doc_types"],
            label=item["label"],
        )
    updated = {
        **item,
        "evidence_document_ids": [str(d) for d in document_ids],
        "satisfied": bool(document_ids),
        "note": note,
    }
    review.items = [updated if i["code"] == code else i for i in review.items]
    await emit_for(
        session, project, "review", "item_updated", actor, review_id=str(review.id), item=updated
    )
    return review


def missing_problem(items: Sequence[Mapping[str, Any]], what: str) -> Conflict:
    """409 ``checklist_incomplete`` listing the mandatory items without proof and their articles."""
    names = "、".join(
        f"{i['label']}（{'、'.join(str(c['article']) for c in i['citations'] if c['mandatory'])}）"
        for i in items
    )
    return Conflict(
        "checklist_incomplete",
        f"缺少{what}必备材料",
        f"items: 以下必备事项尚无证明材料：{names}",
        missing=[i["code"] for i in items],
    )


async def pass_review(
    session: AsyncSession,
    project: Project,
    review: Review,
    opinion: str | None,
    actor: dict[str, Any],
) -> None:
    """Close the review as passed: every mandatory item of the review gate is proved."""
    blocking = checklist.missing(review.items, "review")
    if blocking:
        raise missing_problem(blocking, "验收前置审核")
    review.status, review.decided_by, review.decided_at = "passed", actor, now()
    review.opinion = opinion
    await emit_for(
        session,
        project,
        "review",
        "passed",
        actor,
        review_id=str(review.id),
        mode=review.mode,
        article=review.article,
        opinion=opinion,
        items=review.items,
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
    review = await _open_review(session, project, otherwise="审核已结束")
    require_role(subject, review.reviewer_role, review.article)
    if outcome == "pass":
        await pass_review(session, project, review, opinion, actor)
        return review
    review.status, review.decided_by, review.decided_at = "returned", actor, now()
    review.opinion = opinion
    await return_to_completed(
        session,
        project,
        actor,
        review_id=str(review.id),
        article=review.article,
        reason=f"验收前置审核退回：{opinion}",
    )
    return review


async def return_to_completed(
    session: AsyncSession, project: Project, actor: dict[str, Any], **extra: Any
) -> None:
    """Back to 已完工 (a returned review or a failed acceptance): ``project.review_returned``."""
    project.state = "completed"
    await emit_for(session, project, "project", "review_returned", actor, **extra)


async def _open_review(session: AsyncSession, project: Project, *, otherwise: str) -> Review:
    """The project's review in progress, else 409 ``no_open_review`` saying ``otherwise``."""
    require_state(project, "acceptance_review")
    review = await repository.open_review(session, project.id)
    if review is None:
        raise Conflict("no_open_review", "没有进行中的验收前置审核", f"review: {otherwise}")
    return review
