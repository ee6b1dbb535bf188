"""Annual plans: the window from the policy, demand items, consolidation.

No HTTP here: raises domain errors (libs/common/errors.py), only flushes.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.deadlines import today_in_china
from libs.common.errors import Conflict, Invalid, NotFound
from libs.policy import PolicyRegistry
from services.registry.models import AnnualPlan, DemandItem, publisher
from services.registry.plans import repository
from services.registry.plans.schemas import DemandCreate
from services.registry.projects.service import current_pack
from services.registry.units.service import require_own as require_own_unit


def plan_due(policies: PolicyRegistry, tenant: str, on: date) -> tuple[int, int, str] | None:
    """(month, day, article) of the pack's ``annual_plan_due``, or None when it sets none."""
    pack = current_pack(policies, tenant, on)
    if pack is None:
        return None
    for tl in pack.spec.time_limits:
        if tl.code == "annual_plan_due" and tl.date:
            param = pack.spec.parameters.get(tl.date)
            value = getattr(param, "value", None)
            if isinstance(value, str) and value.startswith("--"):
                month, day = value[2:].split("-")
                return int(month), int(day), tl.article
    return None


def window(policies: PolicyRegistry, tenant: str, year: int) -> tuple[date | None, str | None]:
    """The last day to submit demand for ``year`` (in the year before), with its article."""
    due = plan_due(policies, tenant, today_in_china())
    if due is None:
        return None, None
    month, day, article = due
    return date(year - 1, month, day), article


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
    local = today_in_china()
    if year <= local.year:
        raise Invalid("year", f"年度需求计划针对下一年度及以后，{year} 年已开始")
    await require_own_unit(session, body.unit_id, tenant)
    due, article = window(policies, tenant, year)
    if due is not None and local > due:
        raise Conflict(
            "plan_window_closed",
            "年度需求计划申报已截止",
            f"year: {year} 年度需求计划应于 {due.isoformat()} 前申报（{article}）",
        )
    plan = await repository.open_plan(session, tenant, year)
    if plan.state != "collecting":
        raise Conflict(
            "plan_consolidated", "年度计划已汇总", f"year: {year} 年度计划已汇总，不再接收需求"
        )
    item = DemandItem(
        id=uuid.uuid4(),
        tenant_id=tenant,
        plan_id=plan.id,
        **body.model_dump(),
        state="submitted",
        submitted_on=local,
        submitted_by=str(actor.get("id")),
    )
    await publisher.record(
        session,
        item,
        "plan",
        "demand_submitted",
        data={
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


async def _collecting(session: AsyncSession, tenant: str, year: int) -> AnnualPlan:
    """The plan, locked, while it still collects demand; 404 / 409 otherwise."""
    plan = await repository.plan(session, tenant, year, lock=True)
    if plan is None:
        raise NotFound("年度计划", year)
    if plan.state != "collecting":
        raise Conflict("plan_consolidated", "年度计划已汇总", f"year: {year} 年度计划已汇总")
    return plan


async def consolidate(
    session: AsyncSession,
    *,
    tenant: str,
    year: int,
    exclude: Sequence[uuid.UUID],
    actor: dict[str, Any],
) -> AnnualPlan:
    """汇总形成年度建设计划: every submitted item is included unless excluded, beforehand item by
    item or in ``exclude`` (``plan.consolidated``)."""
    plan = await _collecting(session, tenant, year)
    items = await repository.items(session, plan.id)
    known = {i.id for i in items}
    for i, item_id in enumerate(exclude):
        if item_id not in known:
            raise Invalid(f"exclude[{i}]", f"需求条目 {item_id} 不在 {year} 年度计划中")
    for item in items:
        # Excluded one by one beforehand (exclude_item) or named in this request.
        dropped = item.state == "excluded" or item.id in exclude
        item.state = "excluded" if dropped else "included"
    plan.state = "consolidated"
    plan.consolidated_at = datetime.now(UTC)
    plan.consolidated_by = str(actor.get("id"))
    await session.flush()
    included = [i for i in items if i.state == "included"]
    await publisher.announce(
        session,
        "plan",
        "consolidated",
        tenant=tenant,
        data={
            "plan_id": str(plan.id),
            "year": year,
            "included": [str(i.id) for i in included],
            "excluded": [str(i.id) for i in items if i.state == "excluded"],
            "total_amount": sum(i.amount for i in included),
        },
        actor=actor,
    )
    return plan


async def mark_item(
    session: AsyncSession,
    *,
    tenant: str,
    year: int,
    item_id: uuid.UUID,
    excluded: bool,
    actor: dict[str, Any],
) -> DemandItem:
    """排除 or 恢复 one item before consolidation (``plan.demand_excluded`` /
    ``plan.demand_restored``); consolidation then leaves the excluded out, whichever page
    of the list the bureau marked them on. Marking it as it already is changes nothing."""
    plan = await _collecting(session, tenant, year)
    item = await repository.find_item(session, item_id)
    if item is None or item.plan_id != plan.id:
        raise NotFound("该需求条目")
    wanted = "excluded" if excluded else "submitted"
    if item.state == wanted:
        return item
    item.state = wanted
    await session.flush()
    await publisher.announce(
        session,
        "plan",
        "demand_excluded" if excluded else "demand_restored",
        tenant=tenant,
        data={"plan_id": str(plan.id), "year": year, "item_id": str(item.id), "name": item.name},
        actor=actor,
    )
    return item


async def read_plan(
    session: AsyncSession, *, policies: PolicyRegistry, tenant: str, year: int
) -> dict[str, Any]:
    """The PlanRead fields (a plan nobody has submitted to yet reads as collecting)."""
    plan = await repository.plan(session, tenant, year)
    count, excluded, amount = (
        await repository.item_totals(session, plan.id) if plan is not None else (0, 0, 0)
    )
    due, article = window(policies, tenant, year)
    state = plan.state if plan else "collecting"
    today = today_in_china()
    return {
        "id": plan.id if plan else None,
        "tenant_id": tenant,
        "year": year,
        "state": state,
        "due": due,
        "due_article": article,
        "window_open": state == "collecting"
        and year > today.year
        and (due is None or today <= due),
        "consolidated_at": plan.consolidated_at if plan else None,
        "consolidated_by": plan.consolidated_by if plan else None,
        "item_count": count,
        "excluded_count": excluded,
        "total_amount": amount,
    }
