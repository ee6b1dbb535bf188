"""Change requests (调整/变更) of an approved or filed project (no HTTP).

An ``adjustment`` moves money between the contents of a project. Where the
pack sets an ``adjustment_limit`` (潮州 第二十条, 坡头 第二十一条, 莱州 第十九条第二款:
15%), the total stays within the approved budget and the goals are unchanged,
the unit applies it itself and files it with the bureau; adjustments count
cumulatively against the approved total. Anything else (over the limit, a
larger total, changed goals, or a pack without such a clause) goes back
through the approval the decision prescribed, as a change workflow.

``major_change``, ``late_delivery`` and ``termination`` are filed as the pack
asks: the pack is re-judged with the matching fact set (郁南 第二十条:
``major_change``, ``late_delivery``, ``contract_terminated``; 莱州 第三十二条:
``severely_overdue``) and its ``change_filing`` requirement, with its article,
names to whom. A filed termination ends the project (the registry follows).
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from fractions import Fraction
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.errors import Conflict, Invalid
from libs.policy import FactsError, NoPolicyInForce, PolicyRegistry, evaluate, validate_facts
from libs.vocab import CHANGE_KINDS, format_amount
from services.approval.changes import repository
from services.approval.changes.schemas import ChangeCreate, ChangeRead
from services.approval.models import ApprovalDocument, ChangeRequest, Decision, Workflow
from services.approval.workflow import plan
from services.approval.workflow.publish import announce
from services.approval.workflow.service import open_workflow

#: The pack facts that describe each kind of change (set to true when re-judging).
_FACTS: Final = {
    "major_change": ("major_change",),
    "late_delivery": ("late_delivery", "severely_overdue"),
    "termination": ("contract_terminated",),
}


def _percent(part: int, whole: int) -> str:
    # Display only: the limit itself is compared exactly, as a Fraction of integer yuan.
    return f"{float(Fraction(part, whole) * 100):.2f}%" if whole else "—"


def _ratio_text(ratio: Fraction) -> str:
    return f"{float(ratio * 100):g}%"


async def request_change(
    session: AsyncSession,
    *,
    wf: Workflow,
    doc: ApprovalDocument,
    request: ChangeCreate,
    policies: PolicyRegistry,
    actor: dict[str, Any],
) -> ChangeRequest:
    """File the change, or open its re-review.

    ``wf`` and ``doc`` are the project's approval in force, its row locked
    (:func:`services.approval.documents.repository.lock`) so that concurrent
    requests of one project are judged one after the other.
    """
    if request.kind == "adjustment" and request.adjustment_amount <= 0:
        raise Invalid("adjustment_amount", "调整须填写大于零的资金调整数额（元）")
    decision = await session.get(Decision, wf.decision_id)
    if decision is None:  # the workflow row references it
        raise RuntimeError(f"decision {wf.decision_id} of workflow {wf.id} is missing")
    base = doc.approved_amount
    total = base if request.new_total is None else request.new_total
    change = ChangeRequest(
        id=uuid.uuid4(),
        tenant_id=wf.tenant_id,
        project_id=wf.project_id,
        workflow_id=wf.id,
        **request.model_dump(exclude={"new_total"}),
        new_total=total,
        cumulative_amount=0,
        base_amount=base,
        state="filed",
        article=None,
        explanation="",
        review_workflow_id=None,
        actor=actor,
        created_at=datetime.now(UTC),
    )
    if request.kind == "adjustment":
        await _judge_adjustment(session, change, decision.decision, doc.implementation_started_on)
    else:
        _judge_event(change, decision, request.kind, policies)
    session.add(change)
    await session.flush()
    if change.state == "under_review":
        review = await open_workflow(
            session,
            decision=decision,
            project_name=f"{wf.project_name}（{CHANGE_KINDS[request.kind]}）",
            unit_id=wf.unit_id,
            amount=total,
            actor=actor,
            purpose="change",
            change_id=change.id,
        )
        change.review_workflow_id = review.id
    view = change_view(change)
    del view["tenant"]  # announce() puts the tenant first itself
    await announce(
        session,
        tenant=wf.tenant_id,
        aggregate="change",
        event="filed" if change.state == "filed" else "submitted_for_approval",
        actor=actor,
        **view,
        submission=wf.submission,
    )
    if request.kind == "termination" and change.state == "filed":
        await announce(
            session,
            tenant=wf.tenant_id,
            aggregate="project",
            event="terminated",
            actor=actor,
            project_id=str(wf.project_id),
            submission=wf.submission,
            change_id=str(change.id),
            article=change.article,
            reason=f"终止备案（{change.article}）：{request.reason}",
        )
    return change


async def _judge_adjustment(
    session: AsyncSession,
    change: ChangeRequest,
    decision: dict[str, Any],
    started: date | None,
) -> None:
    previous = await repository.cumulative_adjustments(session, change.project_id)
    cumulative = previous + change.adjustment_amount
    change.cumulative_amount = cumulative
    base = change.base_amount
    limit = plan.time_limit(decision, "adjustment_limit")
    if limit is None or not limit.get("ratio"):
        change.state = "under_review"
        change.article = decision["route"]["article"]
        change.explanation = (
            "本办法未规定建设单位可自行调整的限额，调整须按"
            f"{decision['route']['article']}重新履行审批（备案）程序。"
        )
        return
    ratio = Fraction(str(limit["ratio"]))
    change.article = limit["article"]
    problems = []
    if limit.get("until") == "procuring" and started is not None:
        # 莱州 第十九条第二款: the unit may apply for an adjustment only "在采购前".
        problems.append(f"项目已于{started.isoformat()}启动采购，不能再由建设单位申请调整")
    if not change.goals_unchanged:
        problems.append("项目目标发生变化")
    if change.new_total > base:
        problems.append(
            f"调整后总金额{format_amount(change.new_total)}超出批复预算{format_amount(base)}"
        )
    if cumulative > ratio * base:  # exact: Fraction against integer yuan
        problems.append(
            f"累计调整金额{format_amount(cumulative)}占批复总金额{format_amount(base)}的"
            f"{_percent(cumulative, base)}，"
            f"超过{_ratio_text(ratio)}"
        )
    if problems:
        change.state = "under_review"
        change.explanation = (
            "；".join(problems) + f"，不能自行调整，须重新履行审批程序（{limit['article']}）。"
        )
    else:
        change.state = "filed"
        change.explanation = (
            f"累计调整金额{format_amount(cumulative)}占批复总金额{format_amount(base)}的"
            f"{_percent(cumulative, base)}，"
            f"未超过{_ratio_text(ratio)}，且总金额未超出批复预算、目标不变：建设单位自行调整并报"
            f"主管部门备案（{limit['article']}）。"
        )


def _judge_event(
    change: ChangeRequest, decision: Decision, kind: str, policies: PolicyRegistry
) -> None:
    """Re-judge the pinned facts with the change's fact set; file under its change_filing rule."""
    try:
        pack = policies.pack_for(decision.tenant_id, decision.submitted_on)
    except NoPolicyInForce as exc:
        raise Conflict("no_policy_in_force", "无适用的政策", str(exc)) from exc
    facts = dict(decision.facts)
    declared = [f for f in _FACTS[kind] if f in pack.spec.facts]
    for fact in declared:
        facts[fact] = True
    try:
        judged = evaluate(pack, validate_facts(pack, facts), decision.submitted_on)
    except FactsError as exc:  # the pinned facts were valid once; a pack edit broke them
        raise Conflict("invalid_facts", "项目事实不合法", str(exc)) from exc
    rules = [r for r in judged.requirements if r.code == "change_filing" and r.mandatory]
    if not declared or not rules:
        raise Conflict(
            "no_filing_rule",
            "本办法未规定此类变更的备案程序",
            f"kind: {pack.spec.name}政策对「{CHANGE_KINDS[kind]}」未规定由建设单位备案的程序"
            + ("；终止项目请由主管部门在项目登记中办理" if kind == "termination" else ""),
        )
    rule = rules[0]
    change.state = "filed"
    change.article = rule.article
    change.explanation = rule.explanation


def change_view(change: ChangeRequest) -> dict[str, Any]:
    """The change as the ``change.filed`` / ``change.submitted_for_approval`` events carry it."""
    return {
        "id": str(change.id),
        "tenant": change.tenant_id,
        "project_id": str(change.project_id),
        "kind": change.kind,
        "kind_label": CHANGE_KINDS[change.kind],
        "reason": change.reason,
        "adjustment_amount": change.adjustment_amount,
        "new_total": change.new_total,
        "goals_unchanged": change.goals_unchanged,
        "base_amount": change.base_amount,
        "cumulative_amount": change.cumulative_amount,
        "state": change.state,
        "article": change.article,
        "explanation": change.explanation,
        "review_workflow_id": str(change.review_workflow_id) if change.review_workflow_id else None,
        "created_at": change.created_at.isoformat(),
        "closed_at": change.closed_at.isoformat() if change.closed_at else None,
    }


def change_read(change: ChangeRequest) -> ChangeRead:
    """The change as the API shows it: the event's shape, typed."""
    return ChangeRead.model_validate(change_view(change))
