"""The units replica (主送机关 of an approval document) follows ``registry.unit.created``:
a redelivery or a rename keeps one row with the newest name, and the same id sent in
another jurisdiction changes nothing there and fails nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.events import Event
from libs.common.testing.database import in_tenant
from services.approval.models import units
from services.approval.replica import UNIT_EVENT_TYPE, on_unit

YUNAN, CHIKAN = "445322", "440802"


def _unit_event(tenant: str, unit_id: uuid.UUID, name: str) -> Event:
    return Event(
        id=str(uuid.uuid4()),
        type=UNIT_EVENT_TYPE,
        source="govproj/registry",
        subject=f"govproj.{tenant}.registry.unit.created",
        tenant=tenant,
        time=datetime.now(UTC),
        actor={"type": "user", "id": "u", "tenant": tenant, "roles": []},
        data={"tenant": tenant, "id": str(unit_id), "name": name},
    )


async def _names(session: AsyncSession, unit_id: uuid.UUID) -> list[tuple[str, str]]:
    rows = await session.execute(
        sa.select(units.c.tenant_id, units.c.name).where(units.c.id == unit_id)
    )
    return [tuple(r) for r in rows]


async def test_a_unit_keeps_its_newest_name_and_another_tenant_cannot_rename_it(
    db: AsyncSession,
) -> None:
    unit = uuid.uuid4()
    await in_tenant(db, YUNAN)
    await on_unit(db, _unit_event(YUNAN, unit, "郁南县教育局"))
    await on_unit(db, _unit_event(YUNAN, unit, "郁南县教育局"))
    await on_unit(db, _unit_event(YUNAN, unit, "郁南县教育和体育局"))
    assert await _names(db, unit) == [(YUNAN, "郁南县教育和体育局")]

    await in_tenant(db, CHIKAN)
    await on_unit(db, _unit_event(CHIKAN, unit, "赤坎区财政局"))  # no error: the batch goes on
    assert await _names(db, unit) == []  # invisible here, and nothing of Chikan's was made
    await in_tenant(db, YUNAN)
    assert await _names(db, unit) == [(YUNAN, "郁南县教育和体育局")]
