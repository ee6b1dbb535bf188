"""Annual plan logic: the window from the policy, demand items, consolidation. Only flushes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.errors import Problem
from libs.common.events import emit
from libs.policy import PolicyRegistry
from services.registry.models import AnnualPlan, DemandItem, Unit
from services.registry.plans.schemas import DemandCreate
from services.registry.policy import plan_due, today


def window(policies: PolicyRegistry, tenant: str, year: int) -> tuple[date | None, str | None]:
    """The last day to submit demand for ``year`` (in the year before), with its article."""
    due = plan_due(policies, tenant, today())
    if due is None:
        return None, None
    month, day, article = due
    return date(year - 1, month, day), article


async def _plan(
    session: AsyncSession, tenant: str, year: int, *, lock: bool = False
) -> AnnualPlan | None:
    stmt = sa.select(AnnualPlan).where(AnnualPlan.tenant_id == tenant, AnnualPlan.year == year)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.scalars(stmt)).first()


async def submit_demand(
    session: AsyncSession,
    *,
    policies: PolicyRegistry,
    tenant: str,
    year: int,
    body: DemandCreate,
    actor: dict[str, Any],
) -> DemandItem:
    """A unit's demand for next year's plan (``plan.demand_submitted``)."""
    local = today()
    if year <= local.year:
        raise Problem.invalid("year", f"年度需求计划针对下一年度及以后，{year} 年已开始")
    unit = await session.get(Unit, body.unit_id)
    if unit is None or unit.tenant_id != tenant:
        raise Problem.invalid("unit_id", f"建设单位 {body.unit_id} 不属于本辖区")
    due, article = window(policies, tenant, year)
    if due is not None and local > due:
        raise Problem.conflict(
            "plan_window_closed",
            "年度需求计划申报已截止",
            f"year: {year} 年度需求计划应于 {due.isoformat()} 前申报（{article}）",
        )
    # Serialise demand and consolidation of one plan: INSERT the plan row or lock it.
    await session.execute(
        insert(AnnualPlan)
        .values(id=uuid.uuid4(), tenant_id=tenant, year=year, state="collecting")
        .on_conflict_do_nothing(index_elements=["tenant_id", "year"])
    )
    plan = await _plan(session, tenant, year, lock=True)
    assert plan is not None
    if plan.state != "collecting":
        raise Problem.conflict(
            "plan_consolidated", "年度计划已汇总", f"year: {year} 年度计划已汇总，不再接收需求"
        )
    item = DemandItem(
        id=uuid.uuid4(),
        tenant_id=tenant,
        plan_id=plan.id,
        unit_id=body.unit_id,
        name=body.name,
        project_class=body.project_class,
        amount=body.amount,
        description=body.description,
        state="submitted",
        submitted_on=local,
        submitted_by=str(actor.get("id")),
    )
    session.add(item)
    await session.flush()
    await emit(
        session,
        tenant=tenant,
        service="registry",
        aggregate="plan",
        event="demand_submitted",
        data={
            "tenant": tenant,
            "plan_id": str(plan.id),
            "year": year,
            "item_id": str(item.id),
            "unit_id": str(item.unit_id),
            "name": item.name,
            "amount": item.amount,
        },
        actor=actor,
    )
    return item


async def consolidate(
    session: AsyncSession,
    *,
    tenant: str,
    year: int,
    exclude: Sequence[uuid.UUID],
    actor: dict[str, Any],
) -> AnnualPlan:
    """汇总形成年度建设计划: every submitted item is included unless excluded (``plan.consolidated``)."""
    plan = await _plan(session, tenant, year, lock=True)
    if plan is None:
        raise Problem.not_found("年度计划", year)
    if plan.state != "collecting":
        raise Problem.conflict(
            "plan_consolidated", "年度计划已汇总", f"year: {year} 年度计划已汇总"
        )
    items = list(
        (await session.scalars(sa.select(DemandItem).where(DemandItem.plan_id == plan.id))).all()
    )
    known = {i.id for i in items}
    for i, item_id in enumerate(exclude):
        if item_id not in known:
            raise Problem.invalid(f"exclude[{i}]", f"需求条目 {item_id} 不在 {year} 年度计划中")
    for item in items:
        item.state = "excluded" if item.id in exclude else "included"
    plan.state = "consolidated"
    plan.consolidated_at = datetime.now(UTC)
    plan.consolidated_by = str(actor.get("id"))
    await session.flush()
    included = [i for i in items if i.state == "included"]
    await emit(
        session,
        tenant=tenant,
        service="registry",
        aggregate="plan",
        event="consolidated",
        data={
            "tenant": tenant,
            "plan_id": str(plan.id),
            "year": year,
            "included": [str(i.id) for i in included],
            "excluded": [str(i.id) for i in items if i.state == "excluded"],
            "total_amount": sum(i.amount for i in included),
        },
        actor=actor,
    )
    return plan


async def read_plan(
    session: AsyncSession, *, policies: PolicyRegistry, tenant: str, year: int
) -> dict[str, Any]:
    plan = await _plan(session, tenant, year)
    items: list[DemandItem] = []
    if plan is not None:
        items = list(
            (
                await session.scalars(
                    sa.select(DemandItem)
                    .where(DemandItem.plan_id == plan.id)
                    .order_by(DemandItem.submitted_on, DemandItem.id)
                )
            ).all()
        )
    due, article = window(policies, tenant, year)
    state = plan.state if plan else "collecting"
    return {
        "id": plan.id if plan else None,
        "tenant_id": tenant,
        "year": year,
        "state": state,
        "due": due,
        "due_article": article,
        "window_open": state == "collecting"
        and year > today().year
        and (due is None or today() <= due),
        "consolidated_at": plan.consolidated_at if plan else None,
        "consolidated_by": plan.consolidated_by if plan else None,
        "items": items,
        "total_amount": sum(i.amount for i in items if i.state != "excluded"),
    }
