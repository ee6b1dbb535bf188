"""Registry domain logic: the tenant tree and units. No HTTP here; only flush, never commit."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db import TenantContext, apply_tenant_context
from libs.common.errors import Problem
from libs.common.events import emit
from services.registry.models import Unit, tenants

# A tenant's level fixes its parent's level (vocabulary.md: province > city > county).
_PARENT_LEVEL = {"province": None, "city": "province", "county": "city"}


def _tenant_payload(row: Any) -> dict[str, Any]:
    return {
        "tenant": row["code"],
        "code": row["code"],
        "name": row["name"],
        "level": row["level"],
        "parent_code": row["parent_code"],
        "version": row["version"],
        "updated_at": row["updated_at"].isoformat(),
    }


async def get_tenant_row(session: AsyncSession, code: str) -> dict[str, Any] | None:
    row = (
        (await session.execute(sa.select(tenants).where(tenants.c.code == code))).mappings().first()
    )
    return dict(row) if row else None


async def create_tenant(
    session: AsyncSession,
    *,
    code: str,
    name: str,
    level: str,
    parent_code: str | None,
    actor: dict[str, Any],
) -> dict[str, Any]:
    """Add a jurisdiction to the tree and announce it (``tenant.created``)."""
    if await get_tenant_row(session, code) is not None:
        raise Problem.conflict("tenant_exists", "行政区划已存在", f"code: 行政区划 {code} 已存在")
    expected_parent_level = _PARENT_LEVEL[level]
    if expected_parent_level is None:
        if parent_code is not None:
            raise Problem.invalid("parent_code", "省级行政区不应有上级")
    else:
        if parent_code is None:
            raise Problem.invalid("parent_code", f"{level} 级行政区必须指定上级")
        parent = await get_tenant_row(session, parent_code)
        if parent is None:
            raise Problem.invalid("parent_code", f"上级行政区划 {parent_code} 不存在")
        if parent["level"] != expected_parent_level:
            raise Problem.invalid(
                "parent_code",
                f"{level} 级行政区的上级应为 {expected_parent_level} 级，而 {parent_code} 为 {parent['level']} 级",
            )
    now = datetime.now(UTC)
    row = {
        "code": code,
        "name": name,
        "level": level,
        "parent_code": parent_code,
        "version": 1,
        "updated_at": now,
    }
    await session.execute(sa.insert(tenants).values(**row))
    # The event belongs to the new tenant: its subject and RLS row carry that code.
    await apply_tenant_context(session, TenantContext.own(code))
    await emit(
        session,
        tenant=code,
        service="registry",
        aggregate="tenant",
        event="created",
        data=_tenant_payload(row),
        actor=actor,
    )
    return row


async def update_tenant(
    session: AsyncSession,
    *,
    code: str,
    name: str,
    expected_version: int | None,
    actor: dict[str, Any],
) -> dict[str, Any]:
    """Rename a jurisdiction (``tenant.updated``); ``If-Match`` guards against lost updates."""
    row = await get_tenant_row(session, code)
    if row is None:
        raise Problem.not_found("行政区划", code)
    if expected_version is not None and expected_version != row["version"]:
        raise Problem(
            412,
            "version_mismatch",
            "版本不一致，请刷新后重试",
            f"If-Match: 当前版本为 {row['version']}，请求基于版本 {expected_version}",
        )
    row.update(name=name, version=row["version"] + 1, updated_at=datetime.now(UTC))
    await session.execute(
        sa.update(tenants)
        .where(tenants.c.code == code)
        .values(name=row["name"], version=row["version"], updated_at=row["updated_at"])
    )
    await apply_tenant_context(session, TenantContext.own(code))
    await emit(
        session,
        tenant=code,
        service="registry",
        aggregate="tenant",
        event="updated",
        data=_tenant_payload(row),
        actor=actor,
    )
    return row


async def list_tenants(session: AsyncSession, *, codes: set[str] | None) -> list[dict[str, Any]]:
    """The tenants among ``codes`` (None: all), ordered by code."""
    stmt = sa.select(tenants).order_by(tenants.c.code)
    if codes is not None:
        stmt = stmt.where(tenants.c.code.in_(codes))
    return [dict(r) for r in (await session.execute(stmt)).mappings().all()]


async def create_unit(
    session: AsyncSession, *, tenant: str, name: str, credit_code: str | None, actor: dict[str, Any]
) -> Unit:
    """Register a 建设单位 in ``tenant`` (``unit.created``)."""
    exists = await session.scalar(
        sa.select(sa.func.count())
        .select_from(Unit)
        .where(Unit.tenant_id == tenant, Unit.name == name)
    )
    if exists:
        raise Problem.conflict(
            "unit_exists", "建设单位已存在", f"name: 本辖区已有名为「{name}」的建设单位"
        )
    unit = Unit(
        id=uuid.uuid4(),
        tenant_id=tenant,
        name=name,
        credit_code=credit_code,
        created_at=datetime.now(UTC),
    )
    session.add(unit)
    await session.flush()
    await emit(
        session,
        tenant=tenant,
        service="registry",
        aggregate="unit",
        event="created",
        data={"tenant": tenant, "id": str(unit.id), "name": name, "credit_code": credit_code},
        actor=actor,
    )
    return unit


async def list_units(session: AsyncSession, *, tenant: str | None = None) -> list[Unit]:
    """Units the transaction may see (RLS), optionally of one tenant."""
    stmt = sa.select(Unit).order_by(Unit.tenant_id, Unit.name)
    if tenant is not None:
        stmt = stmt.where(Unit.tenant_id == tenant)
    return list((await session.scalars(stmt)).all())


async def get_unit(session: AsyncSession, *, unit_id: uuid.UUID) -> Unit | None:
    """A unit the transaction may see, or None."""
    return await session.get(Unit, unit_id)
