"""What the budget service's routes share: permission-named access, Idempotency-Key, answers.

Actions come from the one table of libs/common/auth (docs/adr/0008-authorization.md):

- ``BudgetWriting`` (``budget.write``, 编报预算和资金使用): budget lines, adjustments,
  disbursements, usage reports, surplus returns — the 建设单位 for its own
  projects, the bureau for every unit of its jurisdiction (郁府办〔2024〕21号
  第三条第（一）（二）项: 预算编报);
- ``ImplementationWriting`` (``implementation.write``, 登记采购、合同和实施情况):
  procurement and contracts, the same people;
- ``Reader`` (``read``): every role, within the jurisdictions it may see.

A ``…Writing`` is the request's transaction, Idempotency-Key, response and the
admitted caller together; :meth:`Writing.run` replays a used key, loads the
project (404 unseen), checks it (403 overseen or another unit's), locks it and
calls the service.

Finance's own acts (资金审核, 预算安排, 支付) reach this service as events on the
FINANCE stream, not over HTTP, so no route here declares ``finance.review``.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Response
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import Access, Scope, permit
from libs.common.http import problem_responses
from libs.common.idempotency import IdempotencyGuard, idempotency_guard
from libs.common.routes import Reader
from libs.common.service import DbSession, actor_of
from services.budget.models import BudgetProject, idempotency_keys
from services.budget.replica import lock, require_project

__all__ = [
    "PROBLEMS",
    "ArrangementWriting",
    "BudgetWriting",
    "Idem",
    "ImplementationWriting",
    "Reader",
    "Writing",
    "answer",
    "readable_project",
    "writable_project",
]

Idem = Annotated[IdempotencyGuard, Depends(idempotency_guard(idempotency_keys))]
PROBLEMS = problem_responses(s409="项目状态不允许此操作", s422="输入不合法或违反政策规定（附条款）")


async def readable_project(
    session: AsyncSession, project_id: uuid.UUID, access: Access
) -> BudgetProject:
    """The project the caller may see, else 404 (missing and foreign answer alike)."""
    project = await require_project(session, project_id)
    access.check_read(Scope.of(project, what="项目"))
    return project


async def writable_project(
    session: AsyncSession, project_id: uuid.UUID, access: Access
) -> BudgetProject:
    """The project for the caller's action: 404 unseen, 403 overseen or another unit's; locked."""
    project = await require_project(session, project_id)
    access.check(Scope.of(project, what="项目"))
    return await lock(session, project)


async def answer(
    idem: IdempotencyGuard,
    response: Response,
    body: Any,
    *,
    status: int = 201,
    location: str | None = None,
) -> Any:
    """Set the status and ``Location`` and keep the answer for a replay of the same key."""
    response.status_code = status
    if location is not None:
        response.headers["Location"] = location
    return await idem.save(status, body, location=location)


#: A service function of the shape ``f(session, *, project, body, actor, ...) -> answer``.
Act = Callable[..., Awaitable[dict[str, Any]]]


@dataclass(frozen=True, slots=True)
class Writing:
    """One write on a project: its transaction, Idempotency-Key, response and admitted caller."""

    session: AsyncSession
    idem: IdempotencyGuard
    response: Response
    access: Access

    async def run(
        self,
        project_id: uuid.UUID,
        act: Act,
        body: Any,
        *,
        location: Callable[[dict[str, Any]], str] | None = None,
        **more: Any,
    ) -> Any:
        """Replay a used key, else authorize and lock the project, ``act`` and answer 201.

        ``act(session, project=…, body=body, actor=…, **more)`` is the service function.
        """
        if (replay := await self.idem.claim()) is not None:
            return replay
        project = await writable_project(self.session, project_id, self.access)
        actor = actor_of(self.access.subject)
        out = await act(self.session, project=project, body=body, actor=actor, **more)
        where = location(out) if location is not None else None
        return await answer(self.idem, self.response, out, location=where)


def _writing(code: str) -> Callable[..., Coroutine[Any, Any, Writing]]:
    async def writing(
        session: DbSession,
        idem: Idem,
        response: Response,
        # A default, not Annotated: the closure's ``code`` must be evaluated now.
        access: Access = Depends(permit(code)),
    ) -> Writing:
        return Writing(session, idem, response, access)

    writing.__name__ = writing.__qualname__ = "writing_" + code.replace(".", "_")
    return writing


#: A write of ``budget.write``: lines, adjustments, usage reports, surplus returns.
BudgetWriting = Annotated[Writing, Depends(_writing("budget.write"))]
#: A write of ``budget.arrange``: the finance office's 预算安排 recorded on the console.
ArrangementWriting = Annotated[Writing, Depends(_writing("budget.arrange"))]
#: A write of ``implementation.write``: procurement and contracts.
ImplementationWriting = Annotated[Writing, Depends(_writing("implementation.write"))]
