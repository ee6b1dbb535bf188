"""What acceptance's routes share: permissions by name (ADR 0008), Idempotency-Key, the project.

Every route declares one action through :func:`libs.common.auth.permit`; a
route acting on a project takes :data:`WritableProject` or
:data:`ReadableProject`, which load the project and check it with
``Access.check`` / ``check_read``: another jurisdiction's project is 404, an
overseen one is 403 (read-only), another unit's is 403, and a unit officer
without a ``unit`` claim is refused before anything is loaded.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Response
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import Access, Scope, permit
from libs.common.http import problem_responses
from libs.common.idempotency import IdempotencyGuard, idempotency_guard
from libs.common.routes import BureauDecider, Reader, once
from libs.common.service import DbSession, actor_of
from services.acceptance.completion.repository import record
from services.acceptance.completion.schemas import AcceptanceRecordRead
from services.acceptance.models import Project, idempotency_keys
from services.acceptance.replica import get_project

__all__ = [
    "PROBLEMS",
    "AcceptanceWriter",
    "BureauDecider",
    "Drawer",
    "Idem",
    "ProjectStep",
    "ProjectTarget",
    "ReadableProject",
    "Reader",
    "Step",
    "WritableProject",
]

PROBLEMS = problem_responses()

#: ``Idempotency-Key`` on every POST: a replay answers the first response, nothing runs twice.
Idem = Annotated[IdempotencyGuard, Depends(idempotency_guard(idempotency_keys))]

#: 申请验收和填报评价: the unit for its own projects, the bureau for any unit of its jurisdiction.
AcceptanceWriter = Annotated[Access, Depends(permit("acceptance.write"))]
#: 双随机抽取: the bureau commits and makes the year's draw.
Drawer = Annotated[Access, Depends(permit("evaluation.draw"))]


def project_scope(project: Project) -> Scope:
    """What the authorization model needs of a project (tenant, unit, name)."""
    return Scope.of(project, what="项目")


@dataclass(frozen=True, slots=True)
class ProjectTarget:
    """A project a route acts on, the caller admitted to act on it, and the actor its events name."""

    project: Project
    access: Access

    @property
    def actor(self) -> dict[str, Any]:
        return actor_of(self.access.subject)


async def _writable(
    project_id: uuid.UUID, access: AcceptanceWriter, session: DbSession
) -> ProjectTarget:
    # Read first, then lock: FOR UPDATE sees only rows the caller may update (RLS), so a
    # locked read would make an overseen county's project look missing (404, not 403).
    project = await get_project(session, project_id)
    access.check(project_scope(project))
    # Locked once admitted: the step reads and changes the state in one transaction.
    await session.refresh(project, with_for_update=True)
    return ProjectTarget(project, access)


async def _readable(project_id: uuid.UUID, access: Reader, session: DbSession) -> ProjectTarget:
    project = await get_project(session, project_id)
    access.check_read(project_scope(project))
    return ProjectTarget(project, access)


#: The project of the path, loaded for ``acceptance.write`` and checked (404/403 as above).
WritableProject = Annotated[ProjectTarget, Depends(_writable)]
#: The project of the path, loaded for reading (404 when not visible).
ReadableProject = Annotated[ProjectTarget, Depends(_readable)]


@dataclass(frozen=True, slots=True)
class Step:
    """A step on the path's writable project: the target, its transaction and its Idempotency-Key."""

    target: ProjectTarget
    session: AsyncSession
    idem: IdempotencyGuard

    async def take(
        self,
        act: Callable[..., Awaitable[object]],
        *args: Any,
        body: BaseModel | None = None,
        status: int = 200,
    ) -> BaseModel | Response:
        """``act(session, project, *args, **body, actor=…)`` once per key; answers the record.

        The body's fields are the service function's keyword arguments by the same
        names; what the console shows next is the project's whole acceptance record.
        """
        fields = body.model_dump() if body is not None else {}

        async def then_record() -> AcceptanceRecordRead:
            project = self.target.project
            await act(self.session, project, *args, **fields, actor=self.target.actor)
            await self.session.flush()
            return await record(self.session, project)

        return await once(self.idem, then_record, status=status)


async def _step(target: WritableProject, session: DbSession, idem: Idem) -> Step:
    return Step(target, session, idem)


#: A step on the path's project (``acceptance.write``), taken once per Idempotency-Key.
ProjectStep = Annotated[Step, Depends(_step)]
