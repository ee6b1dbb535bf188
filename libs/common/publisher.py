"""How a service announces what changed: one :class:`Publisher` per service.

Every platform event is ``govproj.<service>.<aggregate>.<event>.v1`` of one
tenant, and every contract (libs/contracts) names that tenant again in its
data. Each service used to spell both out at each ``emit`` (its own name, the
tenant twice) and to add, flush and emit a new row in three steps; a
publisher bound to the service says it once, and :meth:`Publisher.record`
takes the event's tenant from the row it records, so the two cannot disagree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.events import Event, emit

__all__ = ["Owned", "Publisher"]


class Owned(Protocol):
    """A row of one tenant (every service table carries ``tenant_id``)."""

    @property
    def tenant_id(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Publisher:
    """The events of ``service``, emitted in the caller's transaction (never committed here).

    ``names_tenant=False`` is for a service whose contracts do not repeat the
    tenant in the data (the archive's: their subject and ``ce-tenant`` carry it).
    """

    service: str
    names_tenant: bool = True

    async def announce(
        self,
        session: AsyncSession,
        aggregate: str,
        event: str,
        *,
        tenant: str,
        actor: Mapping[str, Any],
        data: Mapping[str, Any],
        event_id: str | None = None,
    ) -> Event:
        """Emit ``govproj.<service>.<aggregate>.<event>.v1`` of ``tenant`` (named in its data too);
        ``event_id``: the id the caller already wrote into its rows (``new_event_id``)."""
        return await emit(
            session,
            tenant=tenant,
            service=self.service,
            aggregate=aggregate,
            event=event,
            data={"tenant": tenant, **data} if self.names_tenant else data,
            actor=actor,
            event_id=event_id,
        )

    async def record(
        self,
        session: AsyncSession,
        row: Owned,
        aggregate: str,
        event: str,
        *,
        actor: Mapping[str, Any],
        data: Mapping[str, Any],
    ) -> Event:
        """Insert ``row`` and announce it, together: the event is of the row's own tenant."""
        session.add(row)
        await session.flush()
        return await self.announce(
            session, aggregate, event, tenant=row.tenant_id, actor=actor, data=data
        )
