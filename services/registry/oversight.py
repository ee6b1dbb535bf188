"""Oversight (上级主管部门): a summary per child jurisdiction of what it sees below it."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import AuthSubject, require_roles
from libs.common.service import DbSession
from libs.common.tenants import CachedTenantTree
from libs.policy import PolicyRegistry
from services.registry.models import AnnualPlan, Project, System
from services.registry.plans.service import window
from services.registry.policy import policies_of, today

router = APIRouter(prefix="/v1", tags=["oversight"])


class Bucket(BaseModel):
    count: int
    amount: int


class JurisdictionSummary(BaseModel):
    tenant: str
    name: str
    tenants: list[str]
    projects: Bucket
    by_state: dict[str, Bucket]
    by_route: dict[str, Bucket]
    systems: dict[str, int]
    next_plan_year: int
    next_plan_state: str
    next_plan_due: date | None
    # The plan for next year is past its policy's due date and not consolidated.
    plan_overdue: bool


class OversightSummary(BaseModel):
    tenant: str
    jurisdictions: list[JurisdictionSummary]


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
    rows = await session.execute(
        sa.select(
            Project.tenant_id,
            Project.state,
            Project.route,
            sa.func.count(),
            sa.func.sum(Project.amount),
        )
        .where(Project.tenant_id.in_(sorted(owner)))
        .group_by(Project.tenant_id, Project.state, Project.route)
    )
    out: dict[str, dict[str, Any]] = {}
    for group in groups:
        out[group] = {
            "projects": {"count": 0, "amount": 0},
            "by_state": defaultdict(lambda: {"count": 0, "amount": 0}),
            "by_route": defaultdict(lambda: {"count": 0, "amount": 0}),
            "systems": {"planned": 0, "in_operation": 0, "decommissioned": 0},
        }
    for code, state, route, count, amount in rows:
        entry = out[owner[code]]
        for bucket in (
            entry["projects"],
            entry["by_state"][state],
            entry["by_route"][route or "undecided"],
        ):
            bucket["count"] += count
            bucket["amount"] += int(amount or 0)
    for code, state, count in await session.execute(
        sa.select(System.tenant_id, System.state, sa.func.count())
        .where(System.tenant_id.in_(sorted(owner)))
        .group_by(System.tenant_id, System.state)
    ):
        out[owner[code]]["systems"][state] += count
    year = today().year + 1
    plans: dict[str, str] = {
        code: state
        for code, state in (
            await session.execute(
                sa.select(AnnualPlan.tenant_id, AnnualPlan.state).where(
                    AnnualPlan.tenant_id.in_(list(groups)), AnnualPlan.year == year
                )
            )
        ).all()
    }
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
                "plan_overdue": due is not None and today() > due and state != "consolidated",
            }
        )
    return {"tenant": tenant, "jurisdictions": result}


@router.get(
    "/oversight/summary",
    response_model=OversightSummary,
    summary="下级辖区汇总（按管理方式与状态的项目数和金额、系统、年度计划）",
    responses={401: {"description": "未认证"}, 403: {"description": "仅上级主管部门"}},
)
async def oversight_summary(
    request: Request,
    session: DbSession,
    subject: Annotated[AuthSubject, Depends(require_roles("overseer"))],
) -> dict[str, Any]:
    return await summarise(
        session,
        policies=policies_of(request),
        tree=request.app.state.tenant_tree,
        tenant=subject.tenant,
        visible=subject.visible_tenants,
    )
