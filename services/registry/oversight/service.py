"""Oversight (上级主管部门): a summary per child jurisdiction of what it sees below it."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.deadlines import today_in_china
from libs.common.tenants import CachedTenantTree
from libs.policy import PolicyRegistry
from services.registry.oversight import repository
from services.registry.plans import repository as plans_repository
from services.registry.plans.service import window


def _empty() -> dict[str, Any]:
    return {
        "projects": {"count": 0, "amount": 0},
        "by_state": defaultdict(lambda: {"count": 0, "amount": 0}),
        "by_route": defaultdict(lambda: {"count": 0, "amount": 0}),
        "systems": {"planned": 0, "in_operation": 0, "decommissioned": 0},
    }


async def summarise(
    session: AsyncSession,
    *,
    policies: PolicyRegistry,
    tree: CachedTenantTree,
    tenant: str,
    visible: frozenset[str],
) -> dict[str, Any]:
    """One row per child of ``tenant`` (each folding in its own descendants), plus ``tenant`` itself."""
    groups: dict[str, set[str]] = {tenant: {tenant}}
    below = tree.descendants(tenant) & set(visible)
    for child in sorted(c for c in below if (tree.get(c) or {}).get("parent_code") == tenant):
        groups[child] = {child, *tree.descendants(child)} & set(visible)
    owner = {code: group for group, codes in groups.items() for code in codes}
    out = {group: _empty() for group in groups}
    for code, state, route, count, amount in await repository.project_totals(session, owner):
        entry = out[owner[code]]
        for bucket in (
            entry["projects"],
            entry["by_state"][state],
            entry["by_route"][route or "undecided"],
        ):
            bucket["count"] += count
            bucket["amount"] += amount
    for code, state, count in await repository.system_totals(session, owner):
        out[owner[code]]["systems"][state] += count
    year = today_in_china().year + 1
    plans = await plans_repository.plan_states(session, list(groups), year)
    result = []
    for group, codes in groups.items():
        entry = out[group]
        due, _ = window(policies, group, year)
        state = plans.get(group, "collecting")
        node = tree.get(group) or {}
        result.append(
            {
                "tenant": group,
                "name": node.get("name", group),
                "tenants": sorted(codes),
                "projects": entry["projects"],
                "by_state": dict(entry["by_state"]),
                "by_route": dict(entry["by_route"]),
                "systems": entry["systems"],
                "next_plan_year": year,
                "next_plan_state": state,
                "next_plan_due": due,
                "plan_overdue": due is not None
                and today_in_china() > due
                and state != "consolidated",
            }
        )
    return {"tenant": tenant, "jurisdictions": result}
