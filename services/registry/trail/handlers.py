"""The ``registry_trail`` consumer: keeps every GOVPROJ event that names a project.

It reads the whole stream (``govproj.>``) with its own durable consumer and
inbox, beside the registry's main one, so a slow or failing trail never holds
back a project's state. An event names its project in ``project_id`` (all
project events) or in ``items[].project_id`` (a budget arrangement covering
several); events about no project (tenants, units, plans, fixity audits) are
not part of a project's trail and are only acknowledged.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db import cacheable_insert
from libs.common.events import Event
from libs.common.service import EventHandler, ExtraConsumer
from libs.contracts import CONTRACTS
from services.registry.models import TrailEvent

__all__ = ["CONSUMER", "on_trail_event", "project_ids"]


def _as_uuid(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


def project_ids(data: Mapping[str, Any]) -> Iterator[uuid.UUID]:
    """The projects an event's data names, each once."""
    seen: set[uuid.UUID] = set()
    candidates = [data.get("project_id")]
    candidates += [i.get("project_id") for i in data.get("items") or [] if isinstance(i, Mapping)]
    for raw in candidates:
        pid = _as_uuid(raw)
        if pid is not None and pid not in seen:
            seen.add(pid)
            yield pid


# Built and compiled once (libs.common.db.cacheable_insert), the rows as parameters:
# a ``.values(rows)`` of its own was compiled afresh for every event.
_INSERT_TRAIL = cacheable_insert(insert(TrailEvent).on_conflict_do_nothing())


async def on_trail_event(session: AsyncSession, event: Event) -> None:
    """Keep one row per project the event names (a redelivery changes nothing)."""
    rows = [
        {
            "tenant_id": event.tenant,
            "event_id": event.id,
            "project_id": pid,
            "type": event.type,
            "occurred_at": event.time,
            "actor": dict(event.actor),
            "data": event.data,
        }
        for pid in project_ids(event.data)
    ]
    if rows:
        await session.execute(_INSERT_TRAIL, rows)


_PLATFORM_TYPES = tuple(c.type for c in CONTRACTS if c.stream == "GOVPROJ")
HANDLERS: Mapping[str, EventHandler] = dict.fromkeys(_PLATFORM_TYPES, on_trail_event)

#: Every platform event, from the start of the stream: a new deployment fills
#: the trail with the year the stream keeps, then follows it.
CONSUMER = ExtraConsumer(
    durable="registry_trail",
    stream="GOVPROJ",
    subjects=("govproj.>",),
    handlers=HANDLERS,
)
