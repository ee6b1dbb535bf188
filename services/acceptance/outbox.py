"""How acceptance's steps record the events they publish (the list is in :mod:`.events`).

Every state change records its event with :func:`publish` in the same
transaction (architecture.md, Events: the transactional outbox), naming the
actor; ``project.*``, ``review.*``, ``deadline.*`` and ``evaluation.*`` events
carry :func:`project_data`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.events import emit
from services.acceptance.models import Project

__all__ = ["SERVICE", "project_data", "publish"]

SERVICE = "acceptance"


async def publish(
    session: AsyncSession,
    *,
    tenant: str,
    aggregate: str,
    event: str,
    data: Mapping[str, Any],
    actor: Mapping[str, Any],
) -> None:
    """Record ``govproj.acceptance.<aggregate>.<event>.v1`` in the caller's transaction."""
    await emit(
        session,
        tenant=tenant,
        service=SERVICE,
        aggregate=aggregate,
        event=event,
        data=data,
        actor=actor,
    )


def project_data(project: Project, **extra: Any) -> dict[str, Any]:
    """The fields every project-scoped event carries (the registry's lifecycle follows them)."""
    return {
        "tenant": project.tenant_id,
        "project_id": str(project.id),
        "submission": project.submission,
        "route": project.route,
        **extra,
    }
