"""Copies of other services' aggregates that the approval service keeps from their events.

- The registry's tenant tree (``models.tenants``), applied for every service by
  :mod:`libs.common.service`.
- The archive's documents (``models.documents``): opinions cite them as
  attachments, and only a live document filed under the project may be cited.
- The registry's units (``models.units``): the approval document names the
  unit as its 主送机关 (issue 18).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db import cacheable_insert, parameters
from libs.common.documents import DOCUMENT_EVENT_TYPES, DOCUMENT_SUBJECT, apply_document_event
from libs.common.events import Event, Reject
from services.approval.models import documents, units

__all__ = [
    "DOCUMENT_EVENT_TYPES",
    "DOCUMENT_SUBJECT",
    "UNIT_EVENT_TYPE",
    "UNIT_SUBJECT",
    "on_document",
    "on_unit",
]

UNIT_SUBJECT = "govproj.*.registry.unit.>"
UNIT_EVENT_TYPE = "govproj.registry.unit.created.v1"


def _upsert_unit() -> sa.TextClause:
    stmt = insert(units).values(parameters("id", "tenant_id", "name", "updated_at"))
    return cacheable_insert(
        stmt.on_conflict_do_update(
            index_elements=["id"],
            set_={"name": stmt.excluded.name, "updated_at": stmt.excluded.updated_at},
            where=units.c.tenant_id == stmt.excluded.tenant_id,
        )
    )


# Built and compiled once (libs.common.db.cacheable_insert): the values go as parameters.
_UPSERT_UNIT = _upsert_unit()


async def on_document(session: AsyncSession, event: Event) -> None:
    """Apply ``govproj.archive.document.*`` to the documents replica."""
    await apply_document_event(session, documents, event)


async def on_unit(session: AsyncSession, event: Event) -> None:
    """Keep the unit's name from ``govproj.registry.unit.created.v1`` (a replay changes nothing)."""
    try:
        unit_id = uuid.UUID(str(event.data.get("id")))
    except ValueError:
        raise Reject(f"id: {event.data.get('id')!r} 不是建设单位编号") from None
    name = str(event.data.get("name") or "").strip()
    if not name:
        raise Reject("name: 建设单位名称为空")
    # ON CONFLICT: a unit id of another tenant is invisible under RLS and must not fail the batch.
    await session.execute(
        _UPSERT_UNIT,
        {
            "id": unit_id,
            "tenant_id": event.tenant,
            "name": name[:200],
            "updated_at": datetime.now(UTC),
        },
    )
