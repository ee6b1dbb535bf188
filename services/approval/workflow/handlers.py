"""The finance step answered through the budget service (issue 6's contract).

``govproj.budget.finance_review.completed.v1`` carries the finance system's
opinion on the step the budget service was asked about; it completes that step
exactly like a finance officer acting by hand, under the finance system's name.
An answer for a step already decided (by hand, or by an earlier answer)
changes nothing: both are legitimate. An answer that names no usable step or
outcome, or a step that is not this jurisdiction's finance review, is rejected
(dead-lettered with its reason), never dropped in silence.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.events import Event, Reject
from services.approval.models import Step, Workflow
from services.approval.workflow import service

log = logging.getLogger(__name__)


def _parse(data: dict[str, Any]) -> tuple[uuid.UUID, str, int | None]:
    try:
        step_id = uuid.UUID(str(data["step_id"]))
        outcome = str(data["outcome"])
        amount = data.get("approved_amount")
        approved = int(amount) if amount is not None and outcome == "approve" else None
    except (KeyError, ValueError, TypeError) as exc:
        raise Reject(f"step_id/outcome/approved_amount: 财政审核答复不完整（{exc!r}）") from exc
    if outcome not in service.OUTCOMES:
        raise Reject(f"outcome: 未知的审核结论 {outcome!r}")
    return step_id, outcome, approved


async def on_finance_review_completed(session: AsyncSession, event: Event) -> None:
    step_id, outcome, approved_amount = _parse(dict(event.data))
    step = await session.get(Step, step_id, with_for_update=True)
    if step is None or step.tenant_id != event.tenant or step.code != "finance_review":
        raise Reject(f"step_id: {step_id} 不是本辖区的资金审核环节")
    wf = await session.get(Workflow, step.workflow_id, with_for_update=True)
    if wf is None or step.state != "open" or wf.state != "open":
        log.info("finance answer %s: step %s already %s", event.id, step_id, step.state)
        return
    if approved_amount is not None:
        # The finance system may approve less than was asked, never more.
        approved_amount = min(approved_amount, service.ceiling_of(wf))
    await service.decide_step(
        session,
        wf,
        step,
        outcome=outcome,
        text=str(event.data.get("opinion") or "财政部门资金审核意见"),
        attachments=[str(a) for a in event.data.get("attachments") or []],
        approved_amount=approved_amount,
        actor=dict(event.actor),
        source_event_id=event.id,
    )
