"""Opening a workflow, acting on its steps and ending it; every change emits its event.

One transaction per action: the rows and the outbox event commit together, so
what finance, audit and the registry see is exactly what happened here.

Events (``govproj.approval.<aggregate>.<event>.v1``):

- ``workflow.opened``: the steps the decision prescribes, or ``workflow.closed``
  at once (self-managed, out of scope, ineligible) with the route's reason;
- ``step.opened`` (who must act next, with the article), ``step.experts_assigned``,
  ``step.expert_opinion_recorded``, ``step.completed`` (the deciding opinion);
- ``project.approved`` / ``project.filed`` (with the approval document:
  number, validity, budget year) / ``project.returned`` / ``project.rejected``,
  which the registry follows; ``change.*`` for the re-review of a change.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.deadlines import add_period, today_in_china
from libs.common.errors import Problem
from libs.common.events import emit
from services.approval.models import (
    ApprovalDocument,
    ChangeRequest,
    Decision,
    DocumentNumber,
    Opinion,
    Step,
    Workflow,
    tenants,
)
from services.approval.workflow import plan, reports

NIL: Final = uuid.UUID(int=0)
OUTCOMES: Final = {"approve": "approved", "return": "returned", "reject": "rejected"}
OUTCOME_LABELS: Final = {"approve": "同意", "return": "退回修改", "reject": "不同意"}
#: Steps whose deciding opinion may state an approved amount (资金审核, 立项批复).
AMOUNT_STEPS: Final = frozenset({"finance_review", "approval_decision"})
_KIND_OF_ROUTE: Final = {
    "approval": "approval",
    "government_investment": "approval",
    "filing": "filing",
}


def _now() -> datetime:
    return datetime.now(UTC)


async def _emit(
    session: AsyncSession,
    wf: Workflow,
    aggregate: str,
    event: str,
    actor: dict[str, Any],
    **data: Any,
) -> None:
    await emit(
        session,
        tenant=wf.tenant_id,
        service="approval",
        aggregate=aggregate,
        event=event,
        data={
            "tenant": wf.tenant_id,
            "project_id": str(wf.project_id),
            "submission": wf.submission,
            "workflow_id": str(wf.id),
            "decision_id": str(wf.decision_id),
            "purpose": wf.purpose,
            "change_id": None if wf.change_id == NIL else str(wf.change_id),
            "route": wf.route,
            **data,
        },
        actor=actor,
    )


def step_view(step: Step) -> dict[str, Any]:
    return {
        "step_id": str(step.id),
        "seq": step.seq,
        "code": step.code,
        "role": step.role,
        "article": step.article,
        "explanation": step.explanation,
        "state": step.state,
    }


async def open_workflow(
    session: AsyncSession,
    *,
    decision: Decision,
    project_name: str,
    unit_id: str | None,
    amount: int,
    actor: dict[str, Any],
    purpose: str = "project",
    change_id: uuid.UUID = NIL,
) -> Workflow:
    """Create the workflow the decision prescribes and open its first step."""
    body = decision.decision
    route = body["route"]
    steps = plan.planned_steps(body)
    now = _now()
    wf = Workflow(
        id=uuid.uuid4(),
        tenant_id=decision.tenant_id,
        project_id=decision.project_id,
        submission=decision.submission,
        decision_id=decision.id,
        purpose=purpose,
        change_id=change_id,
        route=route["code"],
        route_article=route["article"],
        project_name=project_name,
        unit_id=unit_id,
        amount=amount,
        state="open" if steps else "closed",
        reason=None if steps else route["explanation"],
        opened_at=now,
        closed_at=None if steps else now,
        version=1,
    )
    session.add(wf)
    await session.flush()  # no ORM relationship orders the inserts: the steps reference it
    rows = [
        Step(
            id=uuid.uuid4(),
            tenant_id=wf.tenant_id,
            workflow_id=wf.id,
            seq=i + 1,
            code=s.code,
            role=s.role,
            article=s.article,
            explanation=s.explanation,
            # The first step opens now (one INSERT instead of INSERT + UPDATE).
            state="open" if i == 0 else "pending",
            opened_at=now if i == 0 else None,
            experts=[],
        )
        for i, s in enumerate(steps)
    ]
    session.add_all(rows)
    await session.flush()
    if not rows:
        await _emit(
            session,
            wf,
            "workflow",
            "closed",
            actor,
            reason=wf.reason,
            article=wf.route_article,
        )
        return wf
    await _emit(
        session,
        wf,
        "workflow",
        "opened",
        actor,
        project_name=project_name,
        amount=amount,
        steps=[step_view(s) for s in rows],
    )
    await _announce_step(session, wf, rows[0], actor)
    return wf


async def _open_step(
    session: AsyncSession, wf: Workflow, step: Step, actor: dict[str, Any]
) -> None:
    step.state = "open"
    step.opened_at = _now()
    await _announce_step(session, wf, step, actor)


async def _announce_step(
    session: AsyncSession, wf: Workflow, step: Step, actor: dict[str, Any]
) -> None:
    """``step.opened``: who must act next, under which article (the budget service
    asks the finance system when the code is ``finance_review``)."""
    await _emit(
        session,
        wf,
        "step",
        "opened",
        actor,
        step_id=str(step.id),
        seq=step.seq,
        code=step.code,
        role=step.role,
        article=step.article,
        explanation=step.explanation,
        project_name=wf.project_name,
        unit_id=wf.unit_id,
        amount=wf.amount,
        approved_amount=wf.approved_amount,
    )


async def steps_of(session: AsyncSession, wf: Workflow) -> list[Step]:
    return list(
        (
            await session.scalars(
                sa.select(Step).where(Step.workflow_id == wf.id).order_by(Step.seq)
            )
        ).all()
    )


async def assign_experts(
    session: AsyncSession,
    wf: Workflow,
    step: Step,
    experts: list[dict[str, str]],
    actor: dict[str, Any],
) -> None:
    """The bureau names the experts of an expert review (专家论证); they each give an opinion."""
    if step.code != "expert_review":
        raise Problem.conflict("not_an_expert_review", "该环节不是专家评审", f"step: {step.code}")
    _require_open(step)
    if any(e.get("opinion") for e in step.experts):
        raise Problem.conflict(
            "experts_already_reviewing", "专家已出具意见，不能更换专家", "experts: 已有专家意见"
        )
    step.experts = [{"user": e["user"], "name": e["name"], "opinion": None} for e in experts]
    await _emit(
        session,
        wf,
        "step",
        "experts_assigned",
        actor,
        step_id=str(step.id),
        code=step.code,
        experts=[{"user": e["user"], "name": e["name"]} for e in experts],
    )


async def record_expert_opinion(
    session: AsyncSession,
    wf: Workflow,
    step: Step,
    *,
    user: str,
    conclusion: str,
    text: str,
    attachments: list[str],
    actor: dict[str, Any],
) -> Opinion:
    """An assigned expert's opinion (each expert once); the bureau then decides the step."""
    _require_open(step)
    experts = [dict(e) for e in step.experts]
    mine = next((e for e in experts if e["user"] == user), None)
    if mine is None:
        raise Problem(
            403, "not_assigned", "您不是该环节指定的专家", f"step {step.id}: 未指定专家 {user}"
        )
    if mine["opinion"] is not None:
        raise Problem.conflict(
            "opinion_exists", "您已出具意见", f"step {step.id}: 专家 {user} 已出具意见"
        )
    opinion = _record_opinion(session, step, "expert", conclusion, text, attachments, actor)
    mine["opinion"] = str(opinion.id)
    mine["conclusion"] = conclusion
    step.experts = experts
    await _emit(
        session,
        wf,
        "step",
        "expert_opinion_recorded",
        actor,
        step_id=str(step.id),
        code=step.code,
        opinion_id=str(opinion.id),
        expert=user,
        conclusion=conclusion,
        opinion=text,
        attachments=attachments,
    )
    return opinion


def _record_opinion(
    session: AsyncSession,
    step: Step,
    kind: str,
    outcome: str,
    text: str,
    attachments: list[str],
    actor: dict[str, Any],
    *,
    approved_amount: int | None = None,
    source_event_id: str | None = None,
) -> Opinion:
    opinion = Opinion(
        id=uuid.uuid4(),
        tenant_id=step.tenant_id,
        step_id=step.id,
        kind=kind,
        outcome=outcome,
        text=text,
        attachments=attachments,
        approved_amount=approved_amount,
        actor=actor,
        source_event_id=source_event_id,
        created_at=_now(),
    )
    session.add(opinion)
    return opinion


def _require_open(step: Step) -> None:
    if step.state != "open":
        raise Problem.conflict(
            "step_not_open", "该环节当前不可办理", f"step {step.id}: 状态为 {step.state}"
        )


async def decide_step(
    session: AsyncSession,
    wf: Workflow,
    step: Step,
    *,
    outcome: str,
    text: str,
    attachments: list[str],
    approved_amount: int | None,
    actor: dict[str, Any],
    source_event_id: str | None = None,
) -> Opinion:
    """The deciding opinion on an open step: approve (next step), return or reject (the end)."""
    _require_open(step)
    if wf.state != "open":
        raise Problem.conflict("workflow_closed", "审核流程已结束", f"workflow {wf.id}: {wf.state}")
    if approved_amount is not None:
        if step.code not in AMOUNT_STEPS:
            raise Problem.invalid("approved_amount", f"环节 {step.code} 不核定金额")
        if outcome != "approve":
            raise Problem.invalid("approved_amount", "仅在同意时核定金额")
        ceiling = wf.approved_amount if wf.approved_amount is not None else wf.amount
        if approved_amount > ceiling:
            raise Problem.invalid(
                "approved_amount", f"核定金额 {approved_amount} 元超过申报/已核定金额 {ceiling} 元"
            )
    if step.code == "expert_review" and outcome == "approve":
        if not step.experts:
            raise Problem.conflict(
                "experts_missing", "尚未指定评审专家", f"step {step.id}: 专家论证须先指定专家"
            )
        waiting = [e["name"] for e in step.experts if e["opinion"] is None]
        if waiting:
            raise Problem.conflict(
                "expert_opinions_missing",
                "专家意见未齐",
                f"step {step.id}: 尚未出具意见的专家：{'、'.join(waiting)}",
            )
    opinion = _record_opinion(
        session,
        step,
        "decision",
        outcome,
        text,
        attachments,
        actor,
        approved_amount=approved_amount,
        source_event_id=source_event_id,
    )
    step.state = OUTCOMES[outcome]
    step.completed_at = _now()
    if approved_amount is not None:
        wf.approved_amount = approved_amount
    wf.version += 1
    await _emit(
        session,
        wf,
        "step",
        "completed",
        actor,
        step_id=str(step.id),
        seq=step.seq,
        code=step.code,
        role=step.role,
        article=step.article,
        outcome=outcome,
        opinion=text,
        opinion_id=str(opinion.id),
        attachments=attachments,
        approved_amount=approved_amount,
    )
    steps = await steps_of(session, wf)
    if outcome == "approve":
        following = [s for s in steps if s.seq > step.seq and s.state == "pending"]
        if following:
            await _open_step(session, wf, following[0], actor)
        else:
            await _finish_approved(session, wf, actor)
        return opinion
    for s in steps:
        if s.state == "pending":
            s.state = "cancelled"
    wf.state = OUTCOMES[outcome]
    wf.closed_at = _now()
    wf.reason = text
    event = "returned" if outcome == "return" else "rejected"
    if wf.purpose == "project":
        await _emit(
            session,
            wf,
            "project",
            event,
            actor,
            step_id=str(step.id),
            code=step.code,
            article=step.article,
            reason=f"{OUTCOME_LABELS[outcome]}（{step.article}）：{text}",
        )
    else:
        await _close_change(
            session, wf, "rejected" if outcome == "reject" else "returned", text, actor
        )
    return opinion


async def _decision_of(session: AsyncSession, wf: Workflow) -> Decision:
    decision = await session.get(Decision, wf.decision_id)
    if decision is None:  # the workflow row references it; only a broken database lacks it
        raise RuntimeError(f"decision {wf.decision_id} of workflow {wf.id} is missing")
    return decision


async def _next_number(session: AsyncSession, tenant: str, year: int, kind: str) -> str:
    stmt = insert(DocumentNumber).values(tenant_id=tenant, year=year, kind=kind, last=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=["tenant_id", "year", "kind"],
        set_={"last": DocumentNumber.last + 1},
    ).returning(DocumentNumber.last)
    seq = int((await session.execute(stmt)).scalar_one())
    name = (
        await session.execute(sa.select(tenants.c.name).where(tenants.c.code == tenant))
    ).scalar_one_or_none()
    short = (name or tenant)[0]
    label = "政数立" if kind == "approval" else "政数备"
    return f"{short}{label}〔{year}〕{seq}号"


def budget_year_of(
    approved_on: date, limit: dict[str, Any] | None
) -> tuple[int | None, bool | None]:
    """The budget year an approval enters, and whether it made the cut-off for next year's.

    坡头 第十四条: a project for next year should be approved by 9月30日 of this
    year; approved later, it does not (原则上) enter next year's budget.
    """
    if limit is None or not limit.get("date"):
        return None, None
    _, month, day = str(limit["date"]).split("-")[-3:]
    cutoff = date(approved_on.year, int(month), int(day))
    if approved_on <= cutoff:
        return approved_on.year + 1, True
    return approved_on.year + 2, False


async def _finish_approved(session: AsyncSession, wf: Workflow, actor: dict[str, Any]) -> None:
    wf.state = "approved" if _KIND_OF_ROUTE.get(wf.route) == "approval" else "filed"
    wf.closed_at = _now()
    if wf.purpose == "change":
        await _close_change(session, wf, "approved", None, actor)
        return
    decision = await _decision_of(session, wf)
    body = decision.decision
    kind = _KIND_OF_ROUTE.get(wf.route, "approval")
    approved_on = today_in_china()
    validity = plan.time_limit(body, "approval_validity")
    cutoff = plan.time_limit(body, "approval_due")
    budget_year, in_time = budget_year_of(approved_on, cutoff)
    amount = wf.approved_amount if wf.approved_amount is not None else wf.amount
    doc = ApprovalDocument(
        id=uuid.uuid4(),
        tenant_id=wf.tenant_id,
        workflow_id=wf.id,
        project_id=wf.project_id,
        kind=kind,
        number=await _next_number(session, wf.tenant_id, approved_on.year, kind),
        approved_on=approved_on,
        approved_amount=amount,
        article=wf.route_article,
        valid_until=add_period(approved_on, validity["period"]) if validity else None,
        validity_article=validity["article"] if validity else None,
        budget_year=budget_year,
        enters_next_year_budget=in_time,
        cutoff_article=cutoff["article"] if cutoff else None,
        duties=plan.duties(body),
        expired_notified=False,
        created_at=_now(),
    )
    session.add(doc)
    await session.flush()
    approval = document_view(doc)
    label = "立项" if kind == "approval" else "备案"
    await _emit(
        session,
        wf,
        "project",
        "approved" if kind == "approval" else "filed",
        actor,
        approval=approval,
        reason=f"已{label}，文号 {doc.number}（{doc.article}）",
    )
    await reports.report_up(session, wf, doc, body, actor)


def document_view(doc: ApprovalDocument, today: date | None = None) -> dict[str, Any]:
    today = today or today_in_china()
    expired = doc.valid_until is not None and today > doc.valid_until
    return {
        "id": str(doc.id),
        "kind": doc.kind,
        "number": doc.number,
        "approved_on": doc.approved_on.isoformat(),
        "approved_amount": doc.approved_amount,
        "article": doc.article,
        "valid_until": doc.valid_until.isoformat() if doc.valid_until else None,
        "validity_article": doc.validity_article,
        "expired": expired,
        "budget_year": doc.budget_year,
        "enters_next_year_budget": doc.enters_next_year_budget,
        "cutoff_article": doc.cutoff_article,
        "implementation_started_on": (
            doc.implementation_started_on.isoformat() if doc.implementation_started_on else None
        ),
        "duties": doc.duties,
    }


async def _close_change(
    session: AsyncSession, wf: Workflow, state: str, text: str | None, actor: dict[str, Any]
) -> None:
    change = await session.get(ChangeRequest, wf.change_id, with_for_update=True)
    if change is None:
        raise RuntimeError(f"change {wf.change_id} of workflow {wf.id} is missing")
    change.state = state
    change.closed_at = _now()
    await _emit(
        session,
        wf,
        "change",
        state,
        actor,
        change_id=str(change.id),
        kind=change.kind,
        adjustment_amount=change.adjustment_amount,
        new_total=change.new_total,
        # The total approved again: finance's figure where it gave one, else the total asked.
        approved_amount=(
            (wf.approved_amount if wf.approved_amount is not None else change.new_total)
            if state == "approved"
            else None
        ),
        reason=text,
    )
