"""Opening a workflow and deciding its steps; every change emits its event (no HTTP).

One transaction per action: the rows and the outbox event commit together, so
what finance, audit and the registry see is exactly what happened here.

Events (``govproj.approval.<aggregate>.<event>.v1``):

- ``workflow.opened``: the steps the decision prescribes, or ``workflow.closed``
  at once (self-managed, out of scope, ineligible) with the route's reason;
- ``step.opened`` (who must act next, with the article) and ``step.completed``
  (the deciding opinion); the experts' events are in :mod:`.experts`, the
  end of a workflow (approval document, return, change closed) in :mod:`.outcomes`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db import unevented
from libs.common.errors import Conflict, Invalid
from services.approval.models import Decision, Opinion, Step, Workflow
from services.approval.workflow import outcomes, plan, repository
from services.approval.workflow.publish import NIL, publish

OUTCOMES: Final = {"approve": "approved", "return": "returned", "reject": "rejected"}
#: Steps whose deciding opinion may state an approved amount (资金审核, 立项批复).
AMOUNT_STEPS: Final = frozenset({"finance_review", "approval_decision"})


def _now() -> datetime:
    return datetime.now(UTC)


def _step_ref(step: Step) -> dict[str, Any]:
    """Which step an event is about: who acts, under which article."""
    return {
        "step_id": str(step.id),
        "seq": step.seq,
        "code": step.code,
        "role": step.role,
        "article": step.article,
    }


def step_view(step: Step) -> dict[str, Any]:
    """A step as the ``workflow.opened`` event lists it."""
    return {**_step_ref(step), "explanation": step.explanation, "state": step.state}


def plan_review(
    decision: Decision,
    *,
    project_name: str,
    unit_id: str | None,
    amount: int,
    purpose: str = "project",
    change_id: uuid.UUID = NIL,
) -> tuple[Workflow, list[Step]]:
    """The workflow the decision prescribes and its steps, the first one open (not stored)."""
    body = decision.decision
    route = body["route"]
    steps = plan.planned_steps(body)
    now = _now()
    # Built without the ORM's attribute events (a decision's workflow and steps are
    # written by Core INSERTs, libs.common.db.unevented); each row holds every column.
    wf = unevented(
        Workflow,
        {
            "id": uuid.uuid4(),
            "tenant_id": decision.tenant_id,
            "project_id": decision.project_id,
            "submission": decision.submission,
            "decision_id": decision.id,
            "purpose": purpose,
            "change_id": change_id,
            "route": route["code"],
            "route_article": route["article"],
            "project_name": project_name,
            "unit_id": unit_id,
            "amount": amount,
            "approved_amount": None,
            "state": "open" if steps else "closed",
            "reason": None if steps else route["explanation"],
            "opened_at": now,
            "closed_at": None if steps else now,
            "version": 1,
        },
    )
    rows = [
        unevented(
            Step,
            {
                "id": uuid.uuid4(),
                "tenant_id": wf.tenant_id,
                "workflow_id": wf.id,
                "seq": i + 1,
                "code": s.code,
                "role": s.role,
                "article": s.article,
                "explanation": s.explanation,
                # The first step opens now (one INSERT instead of INSERT + UPDATE).
                "state": "open" if i == 0 else "pending",
                "opened_at": now if i == 0 else None,
                "completed_at": None,
                "experts": [],
            },
        )
        for i, s in enumerate(steps)
    ]
    return wf, rows


async def announce_review(
    session: AsyncSession, wf: Workflow, steps: list[Step], actor: dict[str, Any]
) -> None:
    """``workflow.opened`` and its first ``step.opened``, or ``workflow.closed`` at once."""
    if not steps:
        await publish(
            session, wf, "workflow", "closed", actor, reason=wf.reason, article=wf.route_article
        )
        return
    await publish(
        session,
        wf,
        "workflow",
        "opened",
        actor,
        project_name=wf.project_name,
        amount=wf.amount,
        steps=[step_view(s) for s in steps],
    )
    await _announce_step(session, wf, steps[0], actor)


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
    wf, rows = plan_review(
        decision,
        project_name=project_name,
        unit_id=unit_id,
        amount=amount,
        purpose=purpose,
        change_id=change_id,
    )
    session.add(wf)
    await session.flush()  # no ORM relationship orders the inserts: the steps reference it
    session.add_all(rows)
    await session.flush()
    await announce_review(session, wf, rows, actor)
    return wf


async def _announce_step(
    session: AsyncSession, wf: Workflow, step: Step, actor: dict[str, Any]
) -> None:
    """``step.opened``: who must act next, under which article (the budget service
    asks the finance system when the code is ``finance_review``)."""
    await publish(
        session,
        wf,
        "step",
        "opened",
        actor,
        **_step_ref(step),
        explanation=step.explanation,
        project_name=wf.project_name,
        unit_id=wf.unit_id,
        amount=wf.amount,
        approved_amount=wf.approved_amount,
    )


def require_open(step: Step) -> None:
    """409 unless the step is the one to act on now."""
    if step.state != "open":
        raise Conflict(
            "step_not_open", "该环节当前不可办理", f"step {step.id}: 状态为 {step.state}"
        )


def record_opinion(
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
    """Keep an opinion (the deciding one, or an expert's) with who gave it."""
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


def ceiling_of(wf: Workflow) -> int:
    """An approved amount never exceeds what was asked, or what an earlier step approved."""
    return wf.approved_amount if wf.approved_amount is not None else wf.amount


def _check_amount(wf: Workflow, step: Step, outcome: str, approved_amount: int | None) -> None:
    if approved_amount is None:
        return
    if step.code not in AMOUNT_STEPS:
        raise Invalid("approved_amount", f"环节 {step.code} 不核定金额")
    if outcome != "approve":
        raise Invalid("approved_amount", "仅在同意时核定金额")
    if approved_amount > ceiling_of(wf):
        raise Invalid(
            "approved_amount",
            f"核定金额 {approved_amount} 元超过申报/已核定金额 {ceiling_of(wf)} 元",
        )


def _check_experts_done(step: Step, outcome: str) -> None:
    # 专家论证: the bureau concludes only on every named expert's opinion.
    if step.code != "expert_review" or outcome != "approve":
        return
    if not step.experts:
        raise Conflict(
            "experts_missing", "尚未指定评审专家", f"step {step.id}: 专家论证须先指定专家"
        )
    waiting = [e["name"] for e in step.experts if e["opinion"] is None]
    if waiting:
        raise Conflict(
            "expert_opinions_missing",
            "专家意见未齐",
            f"step {step.id}: 尚未出具意见的专家：{'、'.join(waiting)}",
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
    require_open(step)
    if wf.state != "open":
        raise Conflict("workflow_closed", "审核流程已结束", f"workflow {wf.id}: {wf.state}")
    _check_amount(wf, step, outcome, approved_amount)
    _check_experts_done(step, outcome)
    opinion = record_opinion(
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
    await publish(
        session,
        wf,
        "step",
        "completed",
        actor,
        **_step_ref(step),
        outcome=outcome,
        opinion=text,
        opinion_id=str(opinion.id),
        attachments=attachments,
        approved_amount=approved_amount,
    )
    steps = await repository.steps_of(session, wf)
    if outcome == "approve":
        following = [s for s in steps if s.seq > step.seq and s.state == "pending"]
        if following:
            following[0].state = "open"
            following[0].opened_at = _now()
            await _announce_step(session, wf, following[0], actor)
        else:
            await outcomes.finish_approved(session, wf, actor)
        return opinion
    for s in steps:
        if s.state == "pending":
            s.state = "cancelled"
    await outcomes.end_early(session, wf, step, outcome=outcome, text=text, actor=actor)
    return opinion
