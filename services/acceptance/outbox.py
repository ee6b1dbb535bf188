"""What acceptance's events and rows carry in common; the list of types is in :mod:`.events`.

Every state change records its event with ``libs.common.events.emit`` in the
same transaction (architecture.md, Events: the transactional outbox), naming
the actor, with ``service=SERVICE`` and literal aggregate and event names
(libs/contracts reads the emit sites). ``project.*``, ``review.*``,
``deadline.*`` and ``evaluation.*`` events carry :func:`project_data`.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.events import emit
from services.acceptance.models import Project

__all__ = ["SERVICE", "emit_data", "emit_for", "of_project", "project_data"]

SERVICE = "acceptance"


def of_project(project: Project) -> dict[str, Any]:
    """The columns every row about a project starts with: a new id, the tenant, the submission."""
    return {
        "id": uuid.uuid4(),
        "tenant_id": project.tenant_id,
        "project_id": project.id,
        "submission": project.submission,
    }


def project_data(project: Project, **extra: Any) -> dict[str, Any]:
    """The fields every project-scoped event carries (the registry's lifecycle follows them)."""
    return {
        "tenant": project.tenant_id,
        "project_id": str(project.id),
        "submission": project.submission,
        "route": project.route,
        **extra,
    }


async def emit_for(
    session: AsyncSession,
    project: Project,
    aggregate: str,
    event: str,
    actor: dict[str, Any],
    **extra: Any,
) -> None:
    """Record ``aggregate.event`` of ``project``: :func:`project_data` with ``extra``, by ``actor``."""
    data = project_data(project, **extra)
    await emit_data(session, project.tenant_id, aggregate, event, actor, data)


async def emit_data(
    session: AsyncSession,
    tenant: str,
    aggregate: str,
    event: str,
    actor: dict[str, Any],
    data: dict[str, Any],
) -> None:
    """Record ``aggregate.event`` of ``tenant`` carrying ``data`` as it is, by ``actor``."""
    await emit(
        session,
        tenant=tenant,
        service=SERVICE,
        aggregate=aggregate,
        event=event,
        data=data,
        actor=actor,
    )
