"""How the approval service publishes: :func:`announce` (any event of a tenant) and
:func:`publish` (an event about a workflow: the workflow's identity, then the event's own data).

A leaf module (it imports no other part of the workflow) so that the steps,
the approval document, the change and the report modules all publish the same
envelope without importing one another.
"""

from __future__ import annotations

import uuid
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncSession

from services.approval.models import Workflow, publisher

#: A project workflow carries the nil UUID as its change id (NULL-safe uniqueness).
NIL: Final = uuid.UUID(int=0)


def change_id_of(wf: Workflow) -> str | None:
    """The change a change workflow re-reviews; None for a project workflow."""
    return None if wf.change_id == NIL else str(wf.change_id)


async def announce(
    session: AsyncSession,
    *,
    tenant: str,
    aggregate: str,
    event: str,
    actor: dict[str, Any],
    **data: Any,
) -> None:
    """Emit ``govproj.approval.<aggregate>.<event>.v1`` of ``tenant``; its data names the tenant."""
    await publisher.announce(session, aggregate, event, tenant=tenant, actor=actor, data=data)


async def publish(
    session: AsyncSession,
    wf: Workflow,
    aggregate: str,
    event: str,
    actor: dict[str, Any],
    **data: Any,
) -> None:
    """Emit ``govproj.approval.<aggregate>.<event>.v1`` about ``wf`` in the session's transaction."""
    await announce(
        session,
        tenant=wf.tenant_id,
        aggregate=aggregate,
        event=event,
        actor=actor,
        # The event's own data may name a field again (a change event its change_id).
        **{
            "project_id": str(wf.project_id),
            "submission": wf.submission,
            "workflow_id": str(wf.id),
            "decision_id": str(wf.decision_id),
            "purpose": wf.purpose,
            "change_id": change_id_of(wf),
            "route": wf.route,
            **data,
        },
    )
