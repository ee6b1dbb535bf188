"""The archive's replica of the registry's projects, and the checks that read it.

Issue 16 (item 7): 湘桥 attached documents to, packaged and ran 档案验收 for
潮安's project id, because the archive stored any ``project_id``. The archive
now files nothing under a project unless the project is in this replica, in
the caller's own tenant (404 otherwise, as for any foreign object), and takes
the project's unit from here for the unit scope of ADR 0008.

Fed by ``govproj.registry.project.{created,updated,submitted,state_changed}.v1``
(every payload carries the project's tenant, unit, name, state and version),
like the budget and acceptance services keep theirs: an event older than the
row (by the registry's project version) changes nothing, and an event whose
project belongs to another tenant is ignored (the consumer already checks the
subject's tenant against the payload's).
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import Access, Scope
from libs.common.db import cacheable_insert, parameters
from libs.common.errors import NotFound
from libs.common.events import Event, Reject
from services.archive.models import Project

__all__ = [
    "PROJECT_EVENT_TYPES",
    "PROJECT_SUBJECT",
    "on_project_event",
    "project_scope",
    "require_project",
]

log = logging.getLogger(__name__)

PROJECT_SUBJECT = "govproj.*.registry.project.>"
PROJECT_EVENT_TYPES = tuple(
    f"govproj.registry.project.{name}.v1"
    for name in ("created", "updated", "submitted", "state_changed")
)


def _uuid(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


# Built and compiled once (libs.common.db.cacheable_insert): the values go as parameters.
_CLAIM_PROJECT = cacheable_insert(
    insert(Project)
    .values(parameters("id", "tenant_id", "name", "state", "version", "updated_at"))
    .on_conflict_do_nothing(index_elements=["id"])
)


async def on_project_event(session: AsyncSession, event: Event) -> None:
    """Upsert the project from a registry project event; the newest version wins."""
    data = event.data
    project_id = _uuid(data.get("project_id"))
    if project_id is None:
        raise Reject(f"project_id: {data.get('project_id')!r} 不是项目编号")
    version = data.get("version")
    version = version if isinstance(version, int) and not isinstance(version, bool) else 0
    row = await session.get(Project, project_id, with_for_update=True)
    if row is None:
        # ON CONFLICT: under RLS another tenant's row with this id is invisible here,
        # and an event naming it must change nothing rather than fail the batch.
        await session.execute(
            _CLAIM_PROJECT,
            {
                "id": project_id,
                "tenant_id": event.tenant,
                "name": "",
                "state": "",
                "version": -1,
                "updated_at": datetime.now(UTC),
            },
        )
        row = await session.get(Project, project_id, with_for_update=True)
        if row is None:
            raise Reject(f"project_id: 项目 {project_id} 属于其他辖区")
    elif row.tenant_id != event.tenant:
        raise Reject(
            f"project_id: 项目 {project_id} 属于辖区 {row.tenant_id}，不属于 {event.tenant}"
        )
    if version < row.version:
        return
    unit = _uuid(data.get("unit_id")) if data.get("unit_id") else None
    row.unit_id = unit or row.unit_id
    row.name = str(data.get("name") or row.name or "")[:200]
    row.state = str(data.get("state") or row.state or "")[:32]
    row.version = version
    row.updated_at = datetime.now(UTC)
    await session.flush()


def project_scope(project: Project) -> Scope:
    """The authorization scope of a project: its tenant and unit."""
    return Scope.of(project, what="项目")


async def require_project(
    session: AsyncSession, project_id: uuid.UUID, *, access: Access | None, tenant: str
) -> Project:
    """The project for a write by ``access``: 404 unless it is in the replica in ``tenant``.

    A project of another tenant — a sibling county, or a county the caller
    oversees — is 404 for a write here: the archive files nothing under a
    project the caller's jurisdiction does not own (architecture.md: a foreign
    object is 404, never 403). Then the unit scope: 403 for another unit's.
    """
    project = await session.get(Project, project_id)
    if project is None or project.tenant_id != tenant:
        raise NotFound("项目", project_id)
    if access is not None:
        access.check(project_scope(project))
    return project
