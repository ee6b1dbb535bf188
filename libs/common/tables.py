"""The tables every service's schema holds besides its own (docs/adr/0007-service-layout.md)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import MetaData, Table

from libs.common.events import EventTables, event_tables
from libs.common.idempotency import idempotency_table
from libs.common.tenants import tenant_table

__all__ = ["PlatformTables", "platform_tables"]


@dataclass(frozen=True)
class PlatformTables:
    """The tenant replica, the event tables and the Idempotency-Key answers of one schema."""

    tenants: Table
    events: EventTables
    idempotency_keys: Table


def platform_tables(metadata: MetaData) -> PlatformTables:
    """Add the platform's tables to a service's ``metadata``; call once from its ``models.py``.

    ``tenants`` is the replica of the registry's tenant tree (fed by
    tenant.created / tenant.updated), so every service can check a tenant
    without asking the registry; ``idempotency_keys`` replays a retried POST's
    first answer.
    """
    return PlatformTables(
        tenants=tenant_table(metadata),
        events=event_tables(metadata),
        idempotency_keys=idempotency_table(metadata),
    )
