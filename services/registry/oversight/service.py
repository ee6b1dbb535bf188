"""Oversight (上级主管部门): a summary per child jurisdiction of what it sees below it."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.deadlines import today_in_china
from libs.common.errors import NotFound
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
        "by_year": defaultdict(lambda: {"count": 0, "amount": 0}),
        "systems": {"planned": 0, "in_operation": 0, "decommissioned": 0},
    }


def jurisdictions(
    tree: CachedTenantTree, tenant: str, visible: frozenset[str]
) -> dict[str, set[str]]:
    """``tenant`` itself and each child it sees, with the codes each folds in (its own
    visible descendants): the rows of the summary and the scopes of a drill-down."""
    groups: dict[str, set[str]] = {tenant: {tenant}}
    below = tree.descendants(tenant) & set(visible)
    for child in sorted(c for c in below if (tree.get(c) or {}).get("parent_code") == tenant):
        groups[child] = {child, *tree.descendants(child)} & set(visible)
    return groups


async def overdue(
    session: AsyncSession,
    *,
    tree: CachedTenantTree,
    tenant: str,
    visible: frozenset[str],
    county: str | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of the approval-stage limits missed in ``county`` (a summary row), or in
    every jurisdiction the overseer sees; 404 for a county that is not one of its rows."""
    groups = jurisdictions(tree, tenant, visible)
    if county is not None and county not in groups:
        raise NotFound("辖区")
    codes = groups[county] if county else {c for codes in groups.values() for c in codes}
    return await repository.overdue_page(
        session, codes, today_in_china(), cursor=cursor, limit=limit
    )


async def summarise(
    session: AsyncSession,
    *,
    policies: PolicyRegistry,
    tree: CachedTenantTree,
    tenant: str,
    visible: frozenset[str],
) -> dict[str, Any]:
    """One row per child of ``tenant`` (each folding in its own descendants), plus ``tenant`` itself."""
    groups = jurisdictions(tree, tenant, visible)
    owner = {code: group for group, codes in groups.items() for code in codes}
    out = {group: _empty() for group in groups}
    totals = await repository.project_totals(session, owner)
    for code, state, route, year, count, amount in totals:
        entry = out[owner[code]]
        for bucket in (
            entry["projects"],
            entry["by_state"][state],
            entry["by_route"][route or "undecided"],
            entry["by_year"][year],
        ):
            bucket["count"] += count
            bucket["amount"] += amount
    overdue: dict[str, int] = defaultdict(int)
    for code, n in (await repository.overdue_count(session, owner, today_in_china())).items():
        overdue[owner[code]] += n
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
                "by_year": dict(sorted(entry["by_year"].items())),
                "overdue": overdue[group],
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
