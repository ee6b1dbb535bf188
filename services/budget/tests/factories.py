"""Small async factories for the budget service's tests (polar's style: rows, not fixture files).

Each writes through the test's session in the tenant it names (row-level
security applies) and flushes; the rollback session undoes it after the test.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import AuthSubject
from libs.common.testing.database import in_tenant
from policies.tests.support import decision, registry
from services.budget.models import BudgetProject, documents

__all__ = [
    "CHAOZHOU",
    "CITY",
    "LAIZHOU",
    "LAIZHOU_ON",
    "SIBLING",
    "YUNAN",
    "add_document",
    "add_project",
    "events_of",
    "laizhou_decision",
    "person",
    "professional_decision",
]

YUNAN = "445322"  # 郁南县
SIBLING = "445321"  # 新兴县: another county of 云浮市, never visible to 郁南
CITY = "445300"  # 云浮市: oversees 郁南
CHAOZHOU = "445100"
LAIZHOU = "370683"
LAIZHOU_ON = date(2023, 3, 1)  # 莱政办发〔2022〕6号 is in force 2022-09-29 .. 2024-09-28


def person(
    tenant: str = YUNAN,
    *roles: str,
    unit: uuid.UUID | str | None = None,
) -> AuthSubject:
    """A caller of ``tenant`` with ``roles`` (default: a unit officer); the API signs its token."""
    return AuthSubject(
        user=f"{'-'.join(roles or ('unit_officer',))}@{tenant}",
        name="测试用户",
        tenant=tenant,
        roles=frozenset(roles or ("unit_officer",)),
        unit_id=str(unit) if unit is not None else None,
    )


def professional_decision(tenant: str, amount: int, *, on: date, **more: Any) -> dict[str, Any]:
    """The real engine's decision on a 专业类 software project of ``tenant`` submitted ``on``."""
    facts: dict[str, Any] = {
        "project_class": "professional",
        "service_types": ["software_development"],
        "amount": amount,
        "software_amount": amount,
        **more,
    }
    return decision(registry().pack_for(tenant, on), facts, on)


def laizhou_decision(amount: int = 1_000_000, **more: Any) -> dict[str, Any]:
    """A 莱州 decision (operations cap, adjustment limit, surplus rule)."""
    facts = {"category": "governance", "in_annual_plan": True, **more}
    return professional_decision(LAIZHOU, amount, on=LAIZHOU_ON, **facts)


def chaozhou_new_funds_decision(amount: int = 800_000) -> dict[str, Any]:
    """A 潮州 decision of a project with new fiscal funds (第十三条: 财政部门意见 first)."""
    return professional_decision(CHAOZHOU, amount, on=date(2025, 3, 1), new_fiscal_funds=True)


async def add_project(
    session: AsyncSession,
    *,
    tenant: str = YUNAN,
    unit: uuid.UUID | None = None,
    status: str = "approved",
    amount: int = 500_000,
    approved_amount: int | None = None,
    decision: dict[str, Any] | None = None,
) -> BudgetProject:
    """A project as the replica holds it after its approval events."""
    await in_tenant(session, tenant)
    project = BudgetProject(
        id=uuid.uuid4(),
        tenant_id=tenant,
        unit_id=unit or uuid.uuid4(),
        submission=1,
        status=status,
        route=((decision or {}).get("route") or {}).get("code", "filing"),
        amount=amount,
        approved_amount=approved_amount,
        decision=decision or {},
        facts={"amount": amount},
        updated_at=datetime.now(UTC),
    )
    session.add(project)
    await session.flush()
    return project


async def add_document(
    session: AsyncSession,
    *,
    tenant: str,
    project_id: uuid.UUID | None,
    doc_type: str,
    deleted: bool = False,
    back_to: str | None = None,
) -> uuid.UUID:
    """An archive document in budget's replica (as its uploaded/attached events leave it).

    ``back_to``: the tenant to act in afterwards (writing another tenant's row
    needs its context, as the consumer has).
    """
    await in_tenant(session, tenant)
    doc_id = uuid.uuid4()
    await session.execute(
        documents.insert().values(
            id=doc_id,
            tenant_id=tenant,
            title="测试文件",
            doc_type=doc_type,
            project_ids=[str(project_id)] if project_id else [],
            deleted=deleted,
            updated_at=datetime.now(UTC),
        )
    )
    if back_to is not None:
        await in_tenant(session, back_to)
    return doc_id


async def events_of(session: AsyncSession, event_type: str) -> list[dict[str, Any]]:
    """The events of ``event_type`` in the outbox, oldest first (payload and headers)."""
    rows = await session.execute(
        sa.text("SELECT payload, headers FROM budget.outbox WHERE type = :t ORDER BY created_at"),
        {"t": event_type},
    )
    return [{"data": p, "headers": h} for p, h in rows]
