"""Completion, the pre-acceptance review and the acceptance (no HTTP here).

Every step checks the project's state as the registry last reported it, the
caller's role as the decision assigns it (the acceptance requirement's
``actor``; the bureau for a ``conformity_review``), and emits an event naming
the actor. A refused step changes nothing (409/422 problem+json).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import AuthSubject
from libs.common.deadlines import today_in_china
from libs.common.errors import Problem
from libs.common.events import emit
from services.acceptance import checklist
from services.acceptance.models import Acceptance, Document, Project, Review
from services.acceptance.records import (
    SERVICE,
    apply_archive,
    meet_deadline,
    now,
    open_review,
    plan_deadlines,
)

STATE_LABELS = {
    "implementing": "实施中",
    "completed": "已完工",
    "acceptance_review": "验收前置审核",
    "accepted": "已验收",
    "in_operation": "运行中",
    "evaluated": "已自评",
}


async def get_project(
    session: AsyncSession, project_id: uuid.UUID, *, lock: bool = False
) -> Project:
    """A project of a visible tenant that acceptance knows (its decision has arrived)."""
    project = await session.get(Project, project_id, with_for_update=lock or None)
    if project is None or project.decision is None:
        raise Problem.not_found("项目", project_id)
    return project


async def writable(session: AsyncSession, project_id: uuid.UUID, subject: AuthSubject) -> Project:
    """The caller's own-tenant project, locked; a unit officer only for its own unit."""
    project = await get_project(session, project_id, lock=True)
    if project.tenant_id != subject.tenant:
        raise Problem.not_found("项目", project_id)
    if (
        subject.unit_id
        and project.unit_id
        and subject.unit_id != project.unit_id
        and not subject.has_role("bureau_officer")
    ):
        raise Problem(
            403, "other_unit", "无权操作其他建设单位的项目", f"unit_id: 项目属于 {project.unit_id}"
        )
    return project


def require_state(project: Project, *states: str) -> None:
    if project.state not in states:
        wanted = "、".join(f"「{STATE_LABELS.get(s, s)}」" for s in states)
        raise Problem.conflict(
            "illegal_state",
            "当前状态不允许此操作",
            f"state: 项目处于「{STATE_LABELS.get(project.state, project.state)}」（{project.state}），"
            f"此操作要求项目处于{wanted}",
        )


def require_role(subject: AuthSubject, role: str, article: str | None) -> None:
    if not subject.has_role(role):
        raise Problem(
            403,
            "forbidden_role",
            "无权执行此操作",
            f"roles: 依据{article or '政策判定'}，此步骤由 {role} 执行",
        )


def check_date(field: str, value: date, *, not_before: date | None = None) -> None:
    if value > today_in_china():
        raise Problem.invalid(field, "不得晚于今天")
    if not_before is not None and value < not_before:
        raise Problem.invalid(field, f"不得早于 {not_before.isoformat()}")


def project_data(project: Project, **extra: Any) -> dict[str, Any]:
    return {
        "tenant": project.tenant_id,
        "project_id": str(project.id),
        "submission": project.submission,
        "route": project.route,
        **extra,
    }


def requirements(project: Project) -> list[Mapping[str, Any]]:
    return list((project.decision or {}).get("requirements") or [])


# ---- completion -----------------------------------------------------------------


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
    await emit(
        session,
        tenant=project.tenant_id,
        service=SERVICE,
        aggregate="project",
        event="completed",
        data=project_data(
            project, completed_on=completed_on.isoformat(), reason=note or "建设单位申报项目建成"
        ),
        actor=actor,
    )
    await plan_deadlines(session, project, "completed", completed_on, actor)
    return project


# ---- pre-acceptance review ---------------------------------------------------------


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


async def _own_documents(
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
    found = await _own_documents(session, document_ids)
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


def _missing_problem(items: Sequence[Mapping[str, Any]], what: str) -> Problem:
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


async def _pass(
    session: AsyncSession,
    project: Project,
    review: Review,
    opinion: str | None,
    actor: dict[str, Any],
) -> None:
    blocking = checklist.missing(review.items, "review")
    if blocking:
        raise _missing_problem(blocking, "验收前置审核")
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
        await _pass(session, project, review, opinion, actor)
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


# ---- acceptance -------------------------------------------------------------------


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
    report = (await _own_documents(session, [report_document_id])).get(report_document_id)
    if report is None or report.tenant_id != project.tenant_id:
        raise Problem.invalid("report_document_id", f"电子档案中没有文件 {report_document_id}")
    if str(project.id) not in report.project_ids:
        raise Problem.invalid(
            "report_document_id",
            f"验收报告 {report_document_id} 未归入本项目档案（请在电子档案中关联本项目）",
        )
    if report.doc_type != "acceptance_report":
        raise Problem.invalid(
            "report_document_id",
            f"文件类型为 {report.doc_type}，须为 acceptance_report（验收报告）",
        )
    if project.state == "completed":
        if plan.mode == "conformity_review":
            raise Problem.conflict(
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
    review = await open_review(session, project.id)
    if review is None:
        review = (
            await session.scalars(
                sa.select(Review)
                .where(
                    Review.project_id == project.id,
                    Review.status == "passed",
                    Review.submission == project.submission,
                )
                .order_by(Review.requested_at.desc())
            )
        ).first()
    elif review.mode == "conformity_review":
        raise Problem.conflict(
            "review_not_passed",
            "符合性审查尚未通过",
            f"review: 依据{review.article}，经审核通过后方可组织验收",
        )
    items = [apply_archive(i, project) for i in (review.items if review else fresh_items(project))]
    blocking = checklist.missing(items, "acceptance")
    if blocking:
        raise _missing_problem(blocking, "验收")
    if review is not None and review.status == "open":
        review.items = items
        await _pass(session, project, review, "建设单位核查验收条件齐备", actor)
    row = Acceptance(
        id=uuid.uuid4(),
        tenant_id=project.tenant_id,
        project_id=project.id,
        submission=project.submission,
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
    }
    await emit(
        session,
        tenant=project.tenant_id,
        service=SERVICE,
        aggregate="acceptance",
        event="recorded",
        data=project_data(
            project, **common, expert_opinions=expert_opinions, conclusion=conclusion
        ),
        actor=actor,
    )
    if outcome == "passed":
        project.state, project.accepted_on = "accepted", held_on
        await emit(
            session,
            tenant=project.tenant_id,
            service=SERVICE,
            aggregate="project",
            event="accepted",
            data=project_data(
                project, **common, accepted_on=held_on.isoformat(), reason=f"验收通过：{conclusion}"
            ),
            actor=actor,
        )
        await meet_deadline(session, project, "acceptance", held_on, actor)
        await plan_deadlines(session, project, "accepted", held_on, actor)
    else:
        project.state = "completed"
        await emit(
            session,
            tenant=project.tenant_id,
            service=SERVICE,
            aggregate="project",
            event="review_returned",
            data=project_data(project, **common, reason=f"验收不通过：{conclusion}"),
            actor=actor,
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
    await emit(
        session,
        tenant=project.tenant_id,
        service=SERVICE,
        aggregate="project",
        event="in_operation",
        data=project_data(
            project, in_operation_on=in_operation_on.isoformat(), reason="系统投入使用"
        ),
        actor=actor,
    )
    await plan_deadlines(session, project, "in_operation", in_operation_on, actor)
    return project
