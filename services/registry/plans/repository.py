"""Annual plan queries. Row-level security limits each to the caller's visible tenants."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.pagination import SortValue, keyset, next_page, sort_of
from libs.common.reads import fetch_all
from services.registry.models import AnnualPlan, DemandItem

#: The orders a plan's items may be listed in (?sort=; libs/vocab PLAN_ITEM_SORTS names them).
SORTS: Final[dict[str, tuple[Any, type[SortValue]]]] = {
    "submitted": (DemandItem.submitted_on, date),
    "name": (DemandItem.name, str),
    "amount": (DemandItem.amount, int),
}
_BAD_SORT = "排序方式无效：可按申报日期、需求名称或预计总投资排序"


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


async def item_page(
    session: AsyncSession,
    plan_id: uuid.UUID,
    *,
    state: str | None = None,
    unit_id: uuid.UUID | None = None,
    sort: str = "submitted",
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[DemandItem], str | None]:
    """One page of the plan's items in the order ``sort`` and the next page's cursor (None
    on the last); keyset on (the sort column, id), so items never repeat or skip."""
    key, _ = sort_of(sort, SORTS, _BAD_SORT)
    column, kind = SORTS[key]
    stmt = sa.select(DemandItem).where(DemandItem.plan_id == plan_id)
    if state is not None:
        stmt = stmt.where(DemandItem.state == state)
    if unit_id is not None:
        stmt = stmt.where(DemandItem.unit_id == unit_id)
    stmt = keyset(stmt, column, DemandItem.id, sort=sort, kind=kind, cursor=cursor, limit=limit)
    rows = (await session.scalars(stmt)).all()
    return next_page(
        rows, limit=limit, sort=sort, position=lambda i: (getattr(i, column.key), i.id)
    )


async def item_totals(session: AsyncSession, plan_id: uuid.UUID) -> tuple[int, int, int]:
    """(items, excluded items, amount of the items not excluded) of the plan, in SQL."""
    excluded = DemandItem.state == "excluded"
    row = (
        await session.execute(
            sa.select(
                sa.func.count(),
                sa.func.count().filter(excluded),
                sa.func.coalesce(sa.func.sum(DemandItem.amount).filter(sa.not_(excluded)), 0),
            ).where(DemandItem.plan_id == plan_id)
        )
    ).one()
    return int(row[0]), int(row[1]), int(row[2])


async def plan_states(session: AsyncSession, tenants: list[str], year: int) -> dict[str, str]:
    """Each tenant's plan state for ``year`` (tenants without a plan are absent)."""
    rows = await session.execute(
        sa.select(AnnualPlan.tenant_id, AnnualPlan.state).where(
            AnnualPlan.tenant_id.in_(tenants), AnnualPlan.year == year
        )
    )
    return {code: state for code, state in rows.all()}
