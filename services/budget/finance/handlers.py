"""Handlers of the finance review's events: the approval workflow's and the finance system's.

Messages from the finance system are checked against their JSON Schema
(:mod:`.contract`) before anything else; one that does not hold is rejected
with the schema's reason (the consumer runner dead-letters it, nothing changes).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.events import Event, Reject
from services.budget.finance import contract, service

__all__ = ["conforming", "on_answered", "on_arrangement", "on_step_completed", "on_step_opened"]

FINANCE_REVIEW = "finance_review"  # the requirement code of the workflow's finance step


def conforming(event: Event) -> dict[str, Any]:
    """The event's data if it holds to its schema on the contract, else :class:`Reject`."""
    if (why := contract.validate(event.type, event.data)) is not None:
        raise Reject(why)
    return event.data


async def on_step_opened(session: AsyncSession, event: Event) -> None:
    """``approval.step.opened.v1``: a finance step asks the finance system."""
    if event.data.get("code") == FINANCE_REVIEW:
        await service.request_review(session, tenant=event.tenant, step=event.data)


async def on_step_completed(session: AsyncSession, event: Event) -> None:
    """``approval.step.completed.v1``: a finance step decided by hand closes the request."""
    if event.data.get("code") == FINANCE_REVIEW:
        await service.close_by_hand(
            session, tenant=event.tenant, step=event.data, actor=event.actor, event_id=event.id
        )


async def on_answered(session: AsyncSession, event: Event) -> None:
    """``finance.<tenant>.review.answered``: the finance system's 资金审核意见."""
    await service.record_answer(
        session,
        tenant=event.tenant,
        answer=conforming(event),
        actor=event.actor,
        event_id=event.id,
    )


async def on_arrangement(session: AsyncSession, event: Event) -> None:
    """``finance.<tenant>.arrangement.notified``: a 预算安排情况通报."""
    await service.record_arrangement(
        session,
        tenant=event.tenant,
        notice=conforming(event),
        actor=event.actor,
        event_id=event.id,
    )
