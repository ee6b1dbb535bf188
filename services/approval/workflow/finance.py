"""The finance step answered through the budget service (issue 6's contract).

``govproj.budget.finance_review.completed.v1`` carries the finance system's
opinion on the step the budget service was asked about; it completes that step
exactly like a finance officer acting by hand, under the finance system's name.
A redelivered answer, or an answer for a step already decided (by hand, or by
an earlier answer), changes nothing.
"""

from __future__ import annotations

import logging
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.events import Event
from services.approval.models import Step, Workflow
from services.approval.workflow import service

log = logging.getLogger(__name__)


async def on_finance_review_completed(session: AsyncSession, event: Event) -> None:
    data = event.data
    try:
        step_id = uuid.UUID(str(data["step_id"]))
        outcome = str(data["outcome"])
        amount = data.get("approved_amount")
        approved_amount = int(amount) if amount is not None and outcome == "approve" else None
    except (KeyError, ValueError, TypeError):
        log.warning("finance answer %s without a usable step or outcome", event.id)
        return
    if outcome not in service.OUTCOMES:
        log.warning("finance answer %s: unknown outcome %r", event.id, outcome)
        return
    step = await session.get(Step, step_id, with_for_update=True)
    if step is None or step.tenant_id != event.tenant or step.code != "finance_review":
        log.warning("finance answer %s for unknown step %s", event.id, step_id)
        return
    wf = await session.get(Workflow, step.workflow_id, with_for_update=True)
    if wf is None or step.state != "open" or wf.state != "open":
        log.info("finance answer %s: step %s already %s", event.id, step_id, step.state)
        return
    if approved_amount is not None:
        ceiling = wf.approved_amount if wf.approved_amount is not None else wf.amount
        approved_amount = min(approved_amount, ceiling)
    await service.decide_step(
        session,
        wf,
        step,
        outcome=outcome,
        text=str(data.get("opinion") or "财政部门资金审核意见"),
        attachments=[str(a) for a in data.get("attachments") or []],
        approved_amount=approved_amount,
        actor=dict(event.actor),
        source_event_id=event.id,
    )
