"""建设单位: register one in a jurisdiction. No HTTP; only flushes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.errors import Conflict, Invalid
from services.registry.models import Unit, publisher
from services.registry.units import repository


async def create_unit(
    session: AsyncSession, *, tenant: str, name: str, credit_code: str | None, actor: dict[str, Any]
) -> Unit:
    """Register a 建设单位 in ``tenant`` (``unit.created``)."""
    if await repository.name_taken(session, tenant=tenant, name=name):
        raise Conflict("unit_exists", "建设单位已存在", f"name: 本辖区已有名为「{name}」的建设单位")
    unit = Unit(
        id=uuid.uuid4(),
        tenant_id=tenant,
        name=name,
        credit_code=credit_code,
        created_at=datetime.now(UTC),
    )
    await publisher.record(
        session,
        unit,
        "unit",
        "created",
        actor=actor,
        data={"id": str(unit.id), "name": name, "credit_code": credit_code},
    )
    return unit


def not_own(unit_id: uuid.UUID) -> Invalid:
    """The 422 of a ``unit_id`` that is not one of the caller's tenant's own units."""
    return Invalid("unit_id", f"建设单位 {unit_id} 不属于本辖区")


async def require_own(session: AsyncSession, unit_id: uuid.UUID, tenant: str) -> Unit:
    """422 naming ``unit_id`` unless the unit is one of ``tenant``'s own."""
    unit = await repository.of_tenant(session, unit_id, tenant)
    if unit is None:
        raise not_own(unit_id)
    return unit
