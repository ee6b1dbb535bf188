"""acceptance routes: a project's acceptance record and steps, deadlines, draws.

Reads cover the caller's visible tenants (an overseer city sees its counties);
writes act in the caller's own tenant only (a foreign project is 404). POSTs
honour ``Idempotency-Key``.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Query, Request

from libs.common.auth import AuthSubject, CurrentSubject, require_roles
from libs.common.errors import Problem
from libs.common.http import problem_responses
from libs.common.idempotency import IdempotencyGuard, idempotency_guard
from libs.common.service import DbSession, actor_of
from services.acceptance import checklist, evaluations, service, sweep
from services.acceptance.models import (
    Acceptance,
    Deadline,
    Document,
    Draw,
    Evaluation,
    Extension,
    Project,
    Review,
    idempotency_keys,
)
from services.acceptance.schemas import (
    AcceptanceIn,
    CompletionIn,
    DrawIn,
    EvaluationIn,
    EvidenceIn,
    ExtensionDecisionIn,
    ExtensionIn,
    OperationIn,
    ReviewDecisionIn,
    ReviewIn,
)

router = APIRouter(prefix="/v1")
PROBLEMS = problem_responses()
Idem = Annotated[IdempotencyGuard, Depends(idempotency_guard(idempotency_keys))]
Unit = Annotated[AuthSubject, Depends(require_roles("unit_officer", "bureau_officer"))]
Bureau = Annotated[AuthSubject, Depends(require_roles("bureau_officer"))]
Authorities = Annotated[AuthSubject, Depends(require_roles("bureau_officer", "finance_officer"))]
Sweeper = Annotated[
    AuthSubject, Depends(require_roles("bureau_officer", "overseer", "platform_admin"))
]


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _row(obj: Any, *fields: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fields:
        v = getattr(obj, f)
        out[f] = (
            v.isoformat() if hasattr(v, "isoformat") else str(v) if isinstance(v, uuid.UUID) else v
        )
    return out


def deadline_dict(d: Deadline) -> dict[str, Any]:
    return _row(
        d,
        "id",
        "tenant_id",
        "project_id",
        "submission",
        "code",
        "anchor",
        "anchor_on",
        "period",
        "month_day",
        "working_days",
        "due_on",
        "original_due_on",
        "calendar_known",
        "article",
        "explanation",
        "status",
        "met_on",
        "reminded_at",
        "overdue_at",
    )


async def record(session: DbSession, project: Project) -> dict[str, Any]:
    """Everything acceptance knows of a project, for the console and the tests."""
    plan = checklist.plan_review(service.requirements(project))
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
            "implementing_on": _iso(project.implementing_on),
            "completed_on": _iso(project.completed_on),
            "accepted_on": _iso(project.accepted_on),
            "in_operation_on": _iso(project.in_operation_on),
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
        },
        "checklist": current[-1].items if current else service.fresh_items(project),
        "reviews": [
            _row(
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
            _row(
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
            _row(
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
            _row(
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


@router.get(
    "/projects/{project_id}/acceptance",
    tags=["acceptance"],
    summary="项目的验收档案（清单、审核、验收、期限、评价）",
    responses=PROBLEMS,
)
async def get_record(
    project_id: uuid.UUID, subject: CurrentSubject, session: DbSession
) -> dict[str, Any]:
    return await record(session, await service.get_project(session, project_id))


async def _done(
    idem: IdempotencyGuard, session: DbSession, project: Project, status: int = 200
) -> Any:
    await session.flush()
    return await idem.save(status, await record(session, project))


@router.post(
    "/projects/{project_id}/completion",
    tags=["acceptance"],
    summary="申报项目建成（实施中 → 已完工）",
    responses=PROBLEMS,
)
async def complete(
    project_id: uuid.UUID, body: CompletionIn, subject: Unit, session: DbSession, idem: Idem
) -> Any:
    if (replay := await idem.claim()) is not None:
        return replay
    project = await service.writable(session, project_id, subject)
    await service.declare_completion(
        session, project, completed_on=body.completed_on, note=body.note, actor=actor_of(subject)
    )
    return await _done(idem, session, project)


@router.post(
    "/projects/{project_id}/review",
    tags=["acceptance"],
    summary="申请验收前置审核（符合性审查）",
    responses=PROBLEMS,
)
async def request_review(
    project_id: uuid.UUID,
    subject: Unit,
    session: DbSession,
    idem: Idem,
    body: ReviewIn | None = None,
) -> Any:
    if (replay := await idem.claim()) is not None:
        return replay
    project = await service.writable(session, project_id, subject)
    await service.request_review(
        session, project, note=body.note if body else None, actor=actor_of(subject)
    )
    return await _done(idem, session, project)


@router.put(
    "/projects/{project_id}/review/items/{code}",
    tags=["acceptance"],
    summary="为审核事项指定电子档案中的证明文件",
    responses=PROBLEMS,
)
async def attach(
    project_id: uuid.UUID, code: str, body: EvidenceIn, subject: Unit, session: DbSession
) -> Any:
    project = await service.writable(session, project_id, subject)
    await service.attach_evidence(
        session,
        project,
        code=code,
        document_ids=body.evidence_document_ids,
        note=body.note,
        actor=actor_of(subject),
    )
    await session.flush()
    return await record(session, project)


@router.post(
    "/projects/{project_id}/review/decision",
    tags=["acceptance"],
    summary="验收前置审核结论（通过/退回）",
    responses=PROBLEMS,
)
async def decide_review(
    project_id: uuid.UUID, body: ReviewDecisionIn, subject: Unit, session: DbSession, idem: Idem
) -> Any:
    if (replay := await idem.claim()) is not None:
        return replay
    project = await service.writable(session, project_id, subject)
    await service.decide_review(
        session,
        project,
        subject,
        outcome=body.outcome,
        opinion=body.opinion,
        actor=actor_of(subject),
    )
    return await _done(idem, session, project)


@router.post(
    "/projects/{project_id}/acceptance",
    tags=["acceptance"],
    summary="记录验收（专家意见、验收报告、结论）",
    responses=PROBLEMS,
)
async def accept(
    project_id: uuid.UUID, body: AcceptanceIn, subject: Unit, session: DbSession, idem: Idem
) -> Any:
    if (replay := await idem.claim()) is not None:
        return replay
    project = await service.writable(session, project_id, subject)
    await service.record_acceptance(
        session,
        project,
        subject,
        outcome=body.outcome,
        held_on=body.held_on,
        report_document_id=body.report_document_id,
        expert_opinions=[o.model_dump() for o in body.expert_opinions],
        conclusion=body.conclusion,
        actor=actor_of(subject),
    )
    return await _done(idem, session, project)


@router.post(
    "/projects/{project_id}/operation",
    tags=["acceptance"],
    summary="系统投入使用（已验收 → 运行中）",
    responses=PROBLEMS,
)
async def operate(
    project_id: uuid.UUID, body: OperationIn, subject: Unit, session: DbSession, idem: Idem
) -> Any:
    if (replay := await idem.claim()) is not None:
        return replay
    project = await service.writable(session, project_id, subject)
    await service.start_operation(
        session, project, in_operation_on=body.in_operation_on, actor=actor_of(subject)
    )
    return await _done(idem, session, project)


@router.post(
    "/projects/{project_id}/evaluations",
    tags=["evaluation"],
    summary="提交自评价、绩效评价、绩效后评估或标准",
    status_code=201,
    responses=PROBLEMS,
)
async def evaluate(
    project_id: uuid.UUID,
    body: EvaluationIn,
    subject: CurrentSubject,
    session: DbSession,
    idem: Idem,
) -> Any:
    if (replay := await idem.claim()) is not None:
        return replay
    project = await service.get_project(session, project_id, lock=True)
    if project.tenant_id != subject.tenant:
        raise Problem.not_found("项目", project_id)
    await evaluations.submit_evaluation(
        session,
        project,
        subject,
        kind=body.kind,
        report_document_id=body.report_document_id,
        submitted_on=body.submitted_on,
        summary=body.summary,
        rating=body.rating,
        draw_id=body.draw_id,
        actor=actor_of(subject),
    )
    return await _done(idem, session, project, 201)


# ---- deadlines ---------------------------------------------------------------------


@router.get(
    "/deadlines", tags=["deadlines"], summary="期限（本级及所监督的下级）", responses=PROBLEMS
)
async def list_deadlines(
    subject: CurrentSubject,
    session: DbSession,
    status: Annotated[str | None, Query(pattern="^(open|overdue|met)$")] = None,
    tenant: Annotated[str | None, Query(pattern="^[0-9]{6}$")] = None,
    code: Annotated[str | None, Query(max_length=64)] = None,
    project_id: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[dict[str, Any]]:
    q = sa.select(Deadline).order_by(Deadline.due_on, Deadline.id).limit(limit)
    if status:
        q = q.where(Deadline.status == status)
    if tenant:
        q = q.where(Deadline.tenant_id == tenant)
    if code:
        q = q.where(Deadline.code == code)
    if project_id:
        q = q.where(Deadline.project_id == project_id)
    return [deadline_dict(d) for d in (await session.scalars(q)).all()]


@router.post(
    "/deadlines/sweep",
    tags=["deadlines"],
    summary="立即检查期限（提醒与逾期，各发一次）",
    responses=PROBLEMS,
)
async def sweep_now(request: Request, subject: Sweeper) -> dict[str, Any]:
    # Each tenant in its own transaction and RLS context, as the worker does; an
    # overseer sweeps what it oversees, the bureau its own jurisdiction.
    codes = sorted(subject.visible_tenants)
    sent = await sweep.sweep(request.app.state.sessionmaker, codes, actor=actor_of(subject))
    return {"tenants": codes, "sent": sent}


@router.post(
    "/projects/{project_id}/deadlines/{code}/extensions",
    tags=["deadlines"],
    summary="延期申请（莱州 第二十三条第二款：延期验收）",
    status_code=201,
    responses=PROBLEMS,
)
async def extend(
    project_id: uuid.UUID,
    code: str,
    body: ExtensionIn,
    subject: Unit,
    session: DbSession,
    idem: Idem,
) -> Any:
    if (replay := await idem.claim()) is not None:
        return replay
    project = await service.writable(session, project_id, subject)
    ext = await sweep.request_extension(
        session, project, code=code, until=body.until, reason=body.reason, actor=actor_of(subject)
    )
    return await idem.save(
        201, _row(ext, "id", "deadline_id", "project_id", "requested_until", "reason", "status")
    )


@router.post(
    "/extensions/{extension_id}/decision",
    tags=["deadlines"],
    summary="审批延期申请（项目审批部门）",
    responses=PROBLEMS,
)
async def decide_extension(
    extension_id: uuid.UUID,
    body: ExtensionDecisionIn,
    subject: Bureau,
    session: DbSession,
    idem: Idem,
) -> Any:
    if (replay := await idem.claim()) is not None:
        return replay
    ext = await sweep.decide_extension(
        session,
        extension_id,
        subject.tenant,
        outcome=body.outcome,
        opinion=body.opinion,
        actor=actor_of(subject),
    )
    return await idem.save(
        200, _row(ext, "id", "deadline_id", "project_id", "requested_until", "status", "opinion")
    )


# ---- 双随机 draws ---------------------------------------------------------------------


@router.post(
    "/draws",
    tags=["evaluation"],
    summary="“双随机”抽取绩效后评估项目与评估人员（种子与项目库留存）",
    status_code=201,
    responses=PROBLEMS,
)
async def make_draw(body: DrawIn, subject: Authorities, session: DbSession, idem: Idem) -> Any:
    if (replay := await idem.claim()) is not None:
        return replay
    row = await evaluations.make_draw(
        session,
        tenant=subject.tenant,
        year=body.year,
        count=body.count,
        project_ids=body.project_ids,
        evaluator_pool=body.evaluator_pool,
        evaluator_count=body.evaluator_count,
        seed=body.seed,
        actor=actor_of(subject),
    )
    return await idem.save(201, evaluations.draw_dict(row))


async def _draw(session: DbSession, draw_id: uuid.UUID) -> Draw:
    row = await session.get(Draw, draw_id)
    if row is None:
        raise Problem.not_found("抽取记录", draw_id)
    return row


@router.get("/draws/{draw_id}", tags=["evaluation"], summary="查看抽取记录", responses=PROBLEMS)
async def get_draw(
    draw_id: uuid.UUID, subject: CurrentSubject, session: DbSession
) -> dict[str, Any]:
    return evaluations.draw_dict(await _draw(session, draw_id))


@router.get(
    "/draws/{draw_id}/verification",
    tags=["evaluation"],
    summary="按留存的种子与项目库复核抽取结果",
    responses=PROBLEMS,
)
async def verify_draw(
    draw_id: uuid.UUID, subject: CurrentSubject, session: DbSession
) -> dict[str, Any]:
    return evaluations.verify_draw(await _draw(session, draw_id))
