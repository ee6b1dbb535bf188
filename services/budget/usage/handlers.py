"""The finance system's payments (``finance.<tenant>.payment.disbursed``)."""

from __future__ import annotations

import uuid
from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.events import Event, Reject
from services.budget.finance.handlers import conforming
from services.budget.models import BudgetLine, BudgetProject
from services.budget.usage.service import record_disbursement

__all__ = ["on_payment_disbursed"]


async def on_payment_disbursed(session: AsyncSession, event: Event) -> None:
    """The finance system paid (国库集中支付): record it against the project's line.

    A payment the service would refuse over HTTP (over the line's balance, a
    voucher used for another amount) raises its domain error, and the consumer
    runner dead-letters the event with it: nothing is recorded.
    """
    data = conforming(event)
    project = await session.get(BudgetProject, uuid.UUID(data["project_id"]), with_for_update=True)
    if project is None:
        raise Reject(f"unknown project {data['project_id']}")
    year = data.get("year")
    line = (
        await session.scalars(
            sa.select(BudgetLine).where(
                BudgetLine.project_id == project.id,
                BudgetLine.kind == data["line_kind"],
                BudgetLine.year == year if year is not None else BudgetLine.year.is_(None),
            )
        )
    ).first()
    if line is None:
        raise Reject(f"project {project.id} has no {data['line_kind']} line")
    await record_disbursement(
        session,
        project=project,
        line=line,
        amount=int(data["amount"]),
        paid_on=date.fromisoformat(data["paid_on"]),
        voucher_no=data["voucher_no"],
        contract_id=uuid.UUID(data["contract_id"]) if data.get("contract_id") else None,
        source="finance",
        actor=event.actor,
    )
