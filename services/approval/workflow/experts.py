"""Expert review (专家论证): the bureau names the experts, each gives one opinion (no HTTP).

The bureau concludes the step only on every named expert's opinion
(:func:`services.approval.workflow.service.decide_step`). Until it does, an
expert sees only their own opinion (issue 20: experts judge independently).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.errors import Conflict, Forbidden, Invalid
from services.approval.models import Opinion, Step, Workflow
from services.approval.workflow.publish import publish
from services.approval.workflow.service import record_opinion, require_open


async def assign_experts(
    session: AsyncSession,
    wf: Workflow,
    step: Step,
    experts: list[dict[str, str]],
    actor: dict[str, Any],
) -> None:
    """The bureau names the experts of an expert review; they each give an opinion."""
    if step.code != "expert_review":
        raise Conflict("not_an_expert_review", "该环节不是专家评审", f"step: {step.code}")
    require_open(step)
    users = [e["user"] for e in experts]
    if len(set(users)) != len(users):
        raise Invalid("experts", "同一专家不能重复指定")
    if any(e.get("opinion") for e in step.experts):
        raise Conflict(
            "experts_already_reviewing", "专家已出具意见，不能更换专家", "experts: 已有专家意见"
        )
    step.experts = [{"user": e["user"], "name": e["name"], "opinion": None} for e in experts]
    await publish(
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
    require_open(step)
    experts = [dict(e) for e in step.experts]
    mine = next((e for e in experts if e["user"] == user), None)
    if mine is None:
        raise Forbidden(f"step {step.id}: 您不是该环节指定的专家", code="not_assigned")
    if mine["opinion"] is not None:
        raise Conflict("opinion_exists", "您已出具意见", f"step {step.id}: 专家 {user} 已出具意见")
    opinion = record_opinion(session, step, "expert", conclusion, text, attachments, actor)
    mine["opinion"] = str(opinion.id)
    mine["conclusion"] = conclusion
    step.experts = experts
    await publish(
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
