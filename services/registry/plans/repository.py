"""Annual plan queries. Row-level security limits each to the caller's visible tenants."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.reads import fetch_all
from services.registry.models import AnnualPlan, DemandItem


async def find_item(session: AsyncSession, item_id: uuid.UUID) -> DemandItem | None:
    """A demand item the transaction may see, or None."""
    return await session.get(DemandItem, item_id)


async def plan(
    session: AsyncSession, tenant: str, year: int, *, lock: bool = False
) -> AnnualPlan | None:
    """The tenant's plan for ``year``, or None (locked FOR UPDATE when asked)."""
    stmt = sa.select(AnnualPlan).where(AnnualPlan.tenant_id == tenant, AnnualPlan.year == year)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.scalars(stmt)).first()


async def open_plan(session: AsyncSession, tenant: str, year: int) -> AnnualPlan:
    """The plan for ``year``, created if absent, locked.

    INSERT or lock serialises demand and consolidation of one plan.
    """
    await session.execute(
        insert(AnnualPlan)
        .values(id=uuid.uuid4(), tenant_id=tenant, year=year, state="collecting")
        .on_conflict_do_nothing(index_elements=["tenant_id", "year"])
    )
    found = await plan(session, tenant, year, lock=True)
    if found is None:  # the row was just inserted or already there: RLS cannot hide our own
        raise RuntimeError(f"annual plan {tenant}/{year} vanished after its insert")
    return found


async def items(session: AsyncSession, plan_id: uuid.UUID) -> list[DemandItem]:
    """The plan's demand items in submission order."""
    return await fetch_all(
        session,
        sa.select(DemandItem)
        .where(DemandItem.plan_id == plan_id)
        .order_by(DemandItem.submitted_on, DemandItem.id),
    )


async def plan_states(session: AsyncSession, tenants: list[str], year: int) -> dict[str, str]:
    """Each tenant's plan state for ``year`` (tenants without a plan are absent)."""
    rows = await session.execute(
        sa.select(AnnualPlan.tenant_id, AnnualPlan.state).where(
            AnnualPlan.tenant_id.in_(tenants), AnnualPlan.year == year
        )
    )
    return {code: state for code, state in rows.all()}
