"""The registry's answer to tenant events: its book of record is never written by one.

Every service consumes ``govproj.*.registry.tenant.>`` to keep its replica; the
registry receives its own events back on the same subjects. They describe a
change already in its table, so it applies nothing. An event that the registry
did not publish (issue 16: a forged ``govproj.445103.registry.tenant.updated``
moved 潮安 under 湘桥) is rejected: dead-lettered with the reason, for an
operator to see, and the tree stays as the registry's API made it.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.events import Event, Reject
from services.registry.tenants import repository


async def on_tenant_event(session: AsyncSession, event: Event) -> None:
    """Accept the registry's own event (already applied); reject any other."""
    published = await repository.published_payload(session, event.id)
    if published is None:
        raise Reject(
            f"登记服务未发布事件 {event.id}：行政区划只能通过登记服务的接口修改，"
            "该事件未作任何修改（疑似伪造）"
        )
    if published != event.data:
        raise Reject(f"事件 {event.id} 的内容与登记服务发布时不同，未作任何修改（疑似篡改）")
