"""Queries on procurement and contracts."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.reads import rows_where
from services.budget.models import BudgetProject, Contract, Procurement

__all__ = ["contracts_of", "procurement_of"]


async def procurement_of(session: AsyncSession, project: BudgetProject) -> Procurement | None:
    """The procurement of the project's current submission, if it started."""
    stmt = sa.select(Procurement).where(
        Procurement.project_id == project.id, Procurement.submission == project.submission
    )
    return (await session.scalars(stmt)).first()


async def contracts_of(session: AsyncSession, project: BudgetProject) -> list[Contract]:
    """The project's contracts in the order they were signed."""
    order = (Contract.signed_on, Contract.created_at)
    return await rows_where(session, Contract, Contract.project_id == project.id, order_by=order)
