"""What acceptance's events and rows carry in common; the list of types is in :mod:`.events`.

Every state change records its event with the service's
:data:`~services.acceptance.models.publisher` in the same transaction
(architecture.md, Events: the transactional outbox), naming the actor, with
literal aggregate and event names (libs/contracts reads the emit sites).
``project.*``, ``review.*``, ``deadline.*`` and ``evaluation.*`` events carry
:func:`project_data`.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.acceptance.models import Project, publisher

__all__ = ["emit_for", "of_project", "project_data"]


def of_project(project: Project) -> dict[str, Any]:
    """The columns every row about a project starts with: a new id, the tenant, the submission."""
    return {
        "id": uuid.uuid4(),
        "tenant_id": project.tenant_id,
        "project_id": project.id,
        "submission": project.submission,
    }


def project_data(project: Project, **extra: Any) -> dict[str, Any]:
    """The fields every project-scoped event carries after its tenant (the registry's lifecycle
    follows them); the publisher names the tenant."""
    return {
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
    await publisher.announce(
        session,
        aggregate,
        event,
        tenant=project.tenant_id,
        actor=actor,
        data=project_data(project, **extra),
    )
