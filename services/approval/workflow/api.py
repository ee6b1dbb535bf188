"""Work queues, workflows, opinions, experts, change requests and reports up (HTTP).

Who may act on a step is the step's role (the pack's actor), in the step's own
jurisdiction: another role gets 403 naming the role, another jurisdiction's
step does not exist (404, RLS). A unit officer whose token names a unit acts
only on its unit's projects.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from libs.common.auth import AuthSubject, CurrentSubject, require_roles
from libs.common.documents import check_attachments
from libs.common.errors import Problem
from libs.common.events import emit
from libs.common.http import problem_responses
from libs.common.service import DbSession, actor_of
from libs.common.types import PlainText
from services.approval.models import (
    ApprovalDocument,
    ChangeRequest,
    Opinion,
    ParentReport,
    ReportReceipt,
    Step,
    Workflow,
    documents,
)
from services.approval.workflow import changes, reports, service

router = APIRouter(prefix="/v1", tags=["workflow"])

Bureau = Annotated[AuthSubject, Depends(require_roles("bureau_officer"))]
Overseer = Annotated[AuthSubject, Depends(require_roles("overseer"))]
Expert = Annotated[AuthSubject, Depends(require_roles("expert"))]
Unit = Annotated[AuthSubject, Depends(require_roles("unit_officer"))]

Text = Annotated[PlainText, Field(min_length=1, max_length=4000)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OpinionIn(_In):
    outcome: Literal["approve", "return", "reject"] = Field(
        description="approve 同意 · return 退回修改 · reject 不同意"
    )
    opinion: Text = Field(description="意见（中文）")
    attachments: list[uuid.UUID] = Field(
        default_factory=list, max_length=50, description="附件：电子档案中的文件 id"
    )
    approved_amount: int | None = Field(
        default=None, ge=0, le=10**13, description="核定金额（元，仅资金审核、立项批复环节）"
    )


class ExpertIn(_In):
    user: Annotated[PlainText, Field(max_length=100)]
    name: Annotated[PlainText, Field(max_length=100)]


class ExpertsIn(_In):
    experts: list[ExpertIn] = Field(min_length=1, max_length=30)


class ExpertOpinionIn(_In):
    conclusion: Literal["agree", "agree_with_changes", "disagree"] = Field(
        description="agree 同意 · agree_with_changes 修改后同意 · disagree 不同意"
    )
    opinion: Text
    attachments: list[uuid.UUID] = Field(default_factory=list, max_length=50)


class ChangeIn(_In):
    kind: Literal["adjustment", "major_change", "late_delivery", "termination"] = Field(
        description="adjustment 调整 · major_change 重大变更 · late_delivery 逾期交付 · termination 终止"
    )
    reason: Text
    adjustment_amount: int = Field(default=0, ge=0, le=10**13, description="资金调整数额（元）")
    new_total: int | None = Field(default=None, ge=0, le=10**13, description="调整后总金额（元）")
    goals_unchanged: bool = Field(default=True, description="项目目标不变")


class ReceiptIn(_In):
    note: Annotated[PlainText, Field(max_length=2000)] | None = None


def _now() -> datetime:
    return datetime.now(UTC)


async def _step(
    session: DbSession, step_id: uuid.UUID, *, lock: bool = False
) -> tuple[Workflow, Step]:
    stmt = sa.select(Step).where(Step.id == step_id)
    if lock:
        stmt = stmt.with_for_update()
    step = (await session.scalars(stmt)).first()
    if step is None:
        raise Problem.not_found("审核环节", step_id)
    wf = await session.get(Workflow, step.workflow_id, with_for_update=lock)
    assert wf is not None  # foreign key
    return wf, step


def _may_act(subject: AuthSubject, wf: Workflow, step: Step) -> None:
    if subject.tenant != wf.tenant_id:
        raise Problem(
            403,
            "other_jurisdiction",
            "不能办理其他辖区的审核环节",
            f"tenant: 环节属于 {wf.tenant_id}",
        )
    if step.role not in subject.roles:
        raise Problem(
            403,
            "not_your_step",
            "该环节不由您的角色办理",
            f"role: 环节「{step.code}」由 {step.role} 办理（{step.article}）",
            extra={"role": step.role},
        )
    if step.role == "unit_officer" and subject.unit_id and subject.unit_id != wf.unit_id:
        raise Problem(
            403, "other_unit", "不能办理其他建设单位的项目", f"unit_id: 项目属于单位 {wf.unit_id}"
        )


def _task(wf: Workflow, step: Step) -> dict[str, Any]:
    return {
        "kind": "step",
        **service.step_view(step),
        "tenant": wf.tenant_id,
        "workflow_id": str(wf.id),
        "purpose": wf.purpose,
        "project_id": str(wf.project_id),
        "project_name": wf.project_name,
        "unit_id": wf.unit_id,
        "route": wf.route,
        "amount": wf.amount,
        "approved_amount": wf.approved_amount,
        "opened_at": step.opened_at.isoformat() if step.opened_at else None,
        "experts": step.experts,
    }


@router.get("/tasks", summary="我的待办（按角色与辖区）", responses=problem_responses())
async def tasks(
    subject: CurrentSubject,
    session: DbSession,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    """Open steps of the caller's jurisdiction for the caller's roles; an expert sees the
    reviews they are named in; an overseer sees the results its counties reported up."""
    items: list[dict[str, Any]] = []
    roles = sorted(subject.roles)
    stmt = (
        sa.select(Workflow, Step)
        .join(Step, Step.workflow_id == Workflow.id)
        .where(Step.state == "open", Step.tenant_id == subject.tenant, Step.role.in_(roles))
        .order_by(Step.opened_at)
        .limit(limit)
    )
    for wf, step in (await session.execute(stmt)).all():
        if step.role == "unit_officer" and subject.unit_id and wf.unit_id != subject.unit_id:
            continue
        items.append(_task(wf, step))
    if subject.has_role("expert"):
        assigned = (
            sa.select(Workflow, Step)
            .join(Step, Step.workflow_id == Workflow.id)
            .where(
                Step.state == "open",
                Step.tenant_id == subject.tenant,
                Step.code == "expert_review",
                Step.experts.contains([{"user": subject.user}]),
            )
            .order_by(Step.opened_at)
            .limit(limit)
        )
        for wf, step in (await session.execute(assigned)).all():
            mine = next(e for e in step.experts if e["user"] == subject.user)
            if mine["opinion"] is None:
                items.append({**_task(wf, step), "kind": "expert_review"})
    if subject.has_role("overseer"):
        items.extend(await reports.pending_for(session, subject.tenant))
    return {"items": items, "count": len(items)}


async def _workflow_view(session: DbSession, wf: Workflow) -> dict[str, Any]:
    steps = await service.steps_of(session, wf)
    opinions = (
        (
            await session.scalars(
                sa.select(Opinion)
                .where(Opinion.step_id.in_([s.id for s in steps]))
                .order_by(Opinion.created_at)
            )
        ).all()
        if steps
        else []
    )
    by_step: dict[uuid.UUID, list[dict[str, Any]]] = {}
    for o in opinions:
        by_step.setdefault(o.step_id, []).append(_opinion_view(o))
    doc = (
        await session.scalars(
            sa.select(ApprovalDocument).where(ApprovalDocument.workflow_id == wf.id)
        )
    ).first()
    return {
        "id": str(wf.id),
        "tenant": wf.tenant_id,
        "project_id": str(wf.project_id),
        "project_name": wf.project_name,
        "submission": wf.submission,
        "decision_id": str(wf.decision_id),
        "purpose": wf.purpose,
        "change_id": None if wf.change_id == service.NIL else str(wf.change_id),
        "route": wf.route,
        "route_article": wf.route_article,
        "amount": wf.amount,
        "approved_amount": wf.approved_amount,
        "state": wf.state,
        "reason": wf.reason,
        "opened_at": wf.opened_at.isoformat(),
        "closed_at": wf.closed_at.isoformat() if wf.closed_at else None,
        "steps": [
            {
                **service.step_view(s),
                "experts": s.experts,
                "opened_at": s.opened_at.isoformat() if s.opened_at else None,
                "completed_at": s.completed_at.isoformat() if s.completed_at else None,
                "opinions": by_step.get(s.id, []),
            }
            for s in steps
        ],
        "approval": service.document_view(doc) if doc else None,
    }


def _opinion_view(o: Opinion) -> dict[str, Any]:
    return {
        "id": str(o.id),
        "kind": o.kind,
        "outcome": o.outcome,
        "opinion": o.text,
        "attachments": o.attachments,
        "approved_amount": o.approved_amount,
        "actor": o.actor,
        "created_at": o.created_at.isoformat(),
    }


@router.get(
    "/projects/{project_id}/workflow",
    summary="项目的审核流程（最近一次申报）",
    responses=problem_responses(),
)
async def project_workflow(
    project_id: uuid.UUID, subject: CurrentSubject, session: DbSession
) -> dict[str, Any]:
    wf = (
        await session.scalars(
            sa.select(Workflow)
            .where(Workflow.project_id == project_id, Workflow.purpose == "project")
            .order_by(Workflow.submission.desc())
            .limit(1)
        )
    ).first()
    if wf is None:
        raise Problem.not_found("审核流程", project_id)
    return await _workflow_view(session, wf)


@router.get("/workflows/{workflow_id}", summary="审核流程", responses=problem_responses())
async def get_workflow(
    workflow_id: uuid.UUID, subject: CurrentSubject, session: DbSession
) -> dict[str, Any]:
    wf = await session.get(Workflow, workflow_id)
    if wf is None:
        raise Problem.not_found("审核流程", workflow_id)
    return await _workflow_view(session, wf)


@router.get(
    "/projects/{project_id}/approval",
    summary="立项批复／备案确认（文号、有效期、预算年度）",
    responses=problem_responses(),
)
async def project_approval(
    project_id: uuid.UUID, subject: CurrentSubject, session: DbSession
) -> dict[str, Any]:
    _, doc = await changes.approved_result(session, project_id)
    return service.document_view(doc)


@router.post(
    "/steps/{step_id}/opinions",
    summary="办理审核环节：同意、退回修改或不同意",
    responses=problem_responses(s409="环节不可办理（已办结、专家意见未齐）"),
)
async def decide(
    step_id: uuid.UUID, body: OpinionIn, subject: CurrentSubject, session: DbSession
) -> dict[str, Any]:
    wf, step = await _step(session, step_id, lock=True)
    _may_act(subject, wf, step)
    await check_attachments(session, documents, body.attachments, project_id=wf.project_id)
    await service.decide_step(
        session,
        wf,
        step,
        outcome=body.outcome,
        text=body.opinion,
        attachments=[str(a) for a in body.attachments],
        approved_amount=body.approved_amount,
        actor=actor_of(subject),
    )
    return await _workflow_view(session, wf)


@router.put(
    "/steps/{step_id}/experts",
    summary="指定专家论证的评审专家（政务数据管理部门）",
    responses=problem_responses(s409="不是专家论证环节或专家已出具意见"),
)
async def assign_experts(
    step_id: uuid.UUID, body: ExpertsIn, subject: Bureau, session: DbSession
) -> dict[str, Any]:
    wf, step = await _step(session, step_id, lock=True)
    _may_act(subject, wf, step)
    users = [e.user for e in body.experts]
    if len(set(users)) != len(users):
        raise Problem.invalid("experts", "同一专家不能重复指定")
    await service.assign_experts(
        session, wf, step, [e.model_dump() for e in body.experts], actor_of(subject)
    )
    return await _workflow_view(session, wf)


@router.post(
    "/steps/{step_id}/expert-opinions",
    summary="专家出具评审意见",
    responses=problem_responses(s409="已出具意见或环节已办结"),
)
async def expert_opinion(
    step_id: uuid.UUID, body: ExpertOpinionIn, subject: Expert, session: DbSession
) -> dict[str, Any]:
    wf, step = await _step(session, step_id, lock=True)
    if subject.tenant != wf.tenant_id:
        raise Problem(
            403, "other_jurisdiction", "不能办理其他辖区的审核环节", f"tenant: {wf.tenant_id}"
        )
    await check_attachments(session, documents, body.attachments, project_id=wf.project_id)
    await service.record_expert_opinion(
        session,
        wf,
        step,
        user=subject.user,
        conclusion=body.conclusion,
        text=body.opinion,
        attachments=[str(a) for a in body.attachments],
        actor=actor_of(subject),
    )
    return await _workflow_view(session, wf)


@router.post(
    "/projects/{project_id}/changes",
    status_code=201,
    summary="申请调整或变更（调整、重大变更、逾期交付、终止）",
    responses=problem_responses(s409="项目尚未立项或备案，或本办法未规定此类变更"),
)
async def request_change(
    project_id: uuid.UUID, body: ChangeIn, subject: Unit, session: DbSession
) -> dict[str, Any]:
    if body.kind == "adjustment" and body.adjustment_amount <= 0:
        raise Problem.invalid("adjustment_amount", "调整须填写大于零的资金调整数额（元）")
    wf, _ = await changes.approved_result(session, project_id)
    if subject.tenant != wf.tenant_id:
        raise Problem(
            403, "other_jurisdiction", "不能为其他辖区的项目申请变更", f"tenant: {wf.tenant_id}"
        )
    if subject.unit_id and wf.unit_id and subject.unit_id != wf.unit_id:
        raise Problem(
            403, "other_unit", "不能为其他建设单位的项目申请变更", f"unit_id: {wf.unit_id}"
        )
    change = await changes.request_change(
        session,
        project_id=project_id,
        kind=body.kind,
        reason=body.reason,
        adjustment_amount=body.adjustment_amount,
        new_total=body.new_total,
        goals_unchanged=body.goals_unchanged,
        actor=actor_of(subject),
    )
    return changes.change_view(change)


@router.get(
    "/projects/{project_id}/changes",
    summary="项目的调整与变更（含累计调整金额）",
    responses=problem_responses(),
)
async def list_changes(
    project_id: uuid.UUID, subject: CurrentSubject, session: DbSession
) -> dict[str, Any]:
    _, doc = await changes.approved_result(session, project_id)
    rows = (
        await session.scalars(
            sa.select(ChangeRequest)
            .where(ChangeRequest.project_id == project_id)
            .order_by(ChangeRequest.created_at)
        )
    ).all()
    cumulative = await changes.cumulative_adjustments(session, project_id)
    return {
        "project_id": str(project_id),
        "approved_amount": doc.approved_amount,
        "cumulative_adjustment": cumulative,
        "items": [changes.change_view(c) for c in rows],
    }


@router.post(
    "/reports/{report_id}/receipt",
    status_code=201,
    summary="上级确认收到下级报送的立项结果（潮州 第十四条）",
    responses=problem_responses(s409="已确认"),
)
async def acknowledge(
    report_id: uuid.UUID, body: ReceiptIn, subject: Overseer, session: DbSession
) -> dict[str, Any]:
    row = (
        await session.execute(
            sa.select(ParentReport, ApprovalDocument)
            .join(ApprovalDocument, ApprovalDocument.id == ParentReport.document_id)
            .where(ParentReport.id == report_id, ParentReport.parent_tenant == subject.tenant)
        )
    ).first()
    if row is None:
        raise Problem.not_found("报送", report_id)
    report, doc = row
    if await session.get(ReportReceipt, report_id) is not None:
        raise Problem.conflict("already_received", "已确认收到", f"report {report_id} 已确认")
    receipt = ReportReceipt(
        report_id=report_id,
        tenant_id=subject.tenant,
        note=body.note,
        actor=actor_of(subject),
        received_at=_now(),
    )
    session.add(receipt)
    await session.flush()
    await emit(
        session,
        tenant=subject.tenant,
        service="approval",
        aggregate="report",
        event="received",
        data={
            "tenant": subject.tenant,
            "report_id": str(report_id),
            "from_tenant": report.tenant_id,
            "project_id": str(report.project_id),
            "number": doc.number,
            "note": body.note,
        },
        actor=actor_of(subject),
    )
    return reports.report_view(report, doc, receipt)
