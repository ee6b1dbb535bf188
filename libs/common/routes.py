"""What the services' routes repeat: the permissions every service names alike, an answer
given once per ``Idempotency-Key``, a page's query parameters and ``X-Next-Cursor``, and
the scope, lock and ETag answer of a row with a version.

A POST answers through :func:`once`::

    return await once(idem, lambda: service.mark_read(session, subject, item_id))

a paged list through :data:`Cursor`, :data:`PageLimit` and :func:`paged`, and the routes
of one versioned aggregate share a :class:`VersionedRows`, whose :meth:`VersionedRows.command`
is a whole POST on one row::

    return await SYSTEMS.command(
        session, access, idem, system_id,
        lambda system, actor: service.put_in_operation(session, system=system, actor=actor),
    )
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, Protocol, TypeVar

from fastapi import Depends, Query, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import Access, Scope, permit
from libs.common.db import PreparedRead, RowReads
from libs.common.errors import NotFound
from libs.common.http import versioned
from libs.common.idempotency import IdempotencyGuard
from libs.common.service import actor_of

__all__ = [
    "IF_MATCH_RESPONSES",
    "NEXT_CURSOR",
    "BureauDecider",
    "Cursor",
    "PageLimit",
    "Reader",
    "TenantCode",
    "VersionedRows",
    "once",
    "paged",
]

#: Any role reads what its visible jurisdictions hold (each route then ``check_read``s its object).
Reader = Annotated[Access, Depends(permit("read"))]
#: The bureau's (政务服务数据管理部门) own decisions, in its own jurisdiction (ADR 0008).
BureauDecider = Annotated[Access, Depends(permit("bureau.decide"))]

AnswerT = TypeVar("AnswerT")
ItemT = TypeVar("ItemT")

#: The response header naming the next page's cursor (absent on the last page).
NEXT_CURSOR = "X-Next-Cursor"
#: A keyset page's ``cursor`` query parameter: opaque, from the previous page's header.
Cursor = Annotated[str | None, Query(max_length=500)]
#: A page's ``limit``: 1 to 200 rows; each list keeps its own default (``limit: PageLimit = 50``).
PageLimit = Annotated[int, Query(ge=1, le=200)]
#: A jurisdiction's code as a query filter (an overseer may name one of its counties).
TenantCode = Annotated[str | None, Query(pattern=r"^[0-9]{6}$")]

#: A PATCH's answers to a missing or stale ``If-Match`` (:func:`libs.common.http.parse_if_match`).
IF_MATCH_RESPONSES: dict[int | str, dict[str, Any]] = {
    412: {"description": "版本不一致"},
    428: {"description": "缺少 If-Match"},
}


async def once(
    idem: IdempotencyGuard,
    produce: Callable[[], Awaitable[AnswerT]],
    *,
    status: int = 200,
    location: str | Callable[[AnswerT], str] | None = None,
) -> AnswerT | JSONResponse:
    """Run ``produce`` unless the key was used before; store its answer with the effect.

    A retried POST (a payment that would count twice, an opinion that would decide
    twice) replays the first answer and writes nothing. ``location`` is the replay's
    ``Location``, or made of the answer (a new row's address names its id).
    """
    if (replay := await idem.claim()) is not None:
        return replay
    answer = await produce()
    if idem.row is not None:  # without a key nothing is stored: no dump to make
        stored = answer.model_dump(mode="json") if isinstance(answer, BaseModel) else answer
        where = location(answer) if callable(location) else location
        await idem.save(status, stored, location=where)
    return answer


def paged(response: Response, page: tuple[Sequence[ItemT], str | None]) -> list[ItemT]:
    """The rows of ``page``; its next cursor goes in :data:`NEXT_CURSOR` when there is one."""
    rows, next_cursor = page
    if next_cursor is not None:
        response.headers[NEXT_CURSOR] = next_cursor
    return list(rows)


#: An ORM row with ``tenant_id`` (and ``unit_id``, ``name``) and a ``version`` column.
RowT = TypeVar("RowT")


def _version_of(row: Any) -> int:
    # ``version`` is a mapped column: typed ``Mapped[int]`` on the class, an int on the row.
    version: int = row.version
    return version


class Repository(Protocol[RowT]):
    """An aggregate's repository module: ``get`` (404 for a row the caller cannot see,
    row-level security), ``get_for_update`` (the row read FOR UPDATE, None when
    row-level security hides it from that) and ``lock`` (FOR UPDATE of a row read)."""

    async def get(self, session: AsyncSession, row_id: uuid.UUID, /) -> RowT: ...

    async def get_for_update(self, session: AsyncSession, row_id: uuid.UUID, /) -> RowT | None: ...

    async def lock(self, session: AsyncSession, row: RowT, /) -> RowT: ...


@dataclass(frozen=True, slots=True)
class VersionedRows(Generic[RowT]):
    """The routes of one aggregate with a version: its scope, its locked write, its ETag answer.

    ``read`` is the service's read model of a row, answered as ``schema``.
    """

    schema: type[BaseModel]
    repository: Repository[RowT]
    read: Callable[[AsyncSession, RowT], Awaitable[Any]]
    what: str

    def scope(self, row: RowT | BaseModel) -> Scope:
        """What the authorization model needs of ``row`` or its read model (tenant, unit, name)."""
        return Scope.of(row, what=self.what)

    def creatable(self, access: Access, *, unit_id: uuid.UUID, name: str) -> str:
        """The caller's tenant, once ``access`` may create a row named ``name`` for ``unit_id``.

        The new row's unit decides: a unit officer creates only for its own unit.
        """
        tenant = access.subject.tenant
        access.check(Scope(tenant=tenant, unit_id=str(unit_id), what=self.what, name=name))
        return tenant

    async def readable(self, session: AsyncSession, access: Access, row_id: uuid.UUID) -> RowT:
        """The row ``access`` may read: 404 when invisible."""
        row = await self.repository.get(session, row_id)
        access.check_read(self.scope(row))
        return row

    async def writable(self, session: AsyncSession, access: Access, row_id: uuid.UUID) -> RowT:
        """The row locked for ``access``'s change: 404 invisible, 403 overseen or another unit's.

        One read when the change is allowed: the row is locked as it is read, then
        authorised (a refused caller's lock ends with its rollback). Row-level
        security's write policy hides from FOR UPDATE a row the caller only
        oversees; that one (or a missing one) is read again without the lock, so
        the answer is the 403 that says why (or the 404), as when authorising first.
        """
        locked = await self.repository.get_for_update(session, row_id)
        if locked is not None:
            access.check(self.scope(locked))
            return locked
        row = await self.repository.get(session, row_id)
        access.check(self.scope(row))
        return await self.repository.lock(session, row)

    async def command(
        self,
        session: AsyncSession,
        access: Access,
        idem: IdempotencyGuard,
        row_id: uuid.UUID,
        step: Callable[[RowT, dict[str, Any]], Awaitable[RowT]],
    ) -> Response:
        """A POST on one row: replay a used key, else lock the row :meth:`writable` for
        ``access``, run ``step(row, actor)`` (the service's change) and :meth:`answer` it."""
        if (replay := await idem.claim()) is not None:
            return replay
        row = await self.writable(session, access, row_id)
        changed = await step(row, actor_of(access.subject))
        return await self.answer(session, changed, idem=idem)

    async def answer(
        self,
        session: AsyncSession,
        row: RowT,
        *,
        idem: IdempotencyGuard | None = None,
        status: int = 200,
        location: str | None = None,
    ) -> Response:
        """``row`` as ``schema`` with its ETag (and ``Location``), kept for ``idem``'s replay.

        Validated once and written straight to JSON bytes (:func:`versioned`); the dict
        of the answer is made only when a key stores it.
        """
        body = self.schema.model_validate(await self.read(session, row))
        if idem is not None and idem.row is not None:
            await idem.save(status, body.model_dump(mode="json"), location=location)
        return versioned(body, _version_of(row), status=status, location=location)

    async def answer_read(
        self,
        reads: RowReads,
        access: Access,
        read: PreparedRead,
        row_id: uuid.UUID,
        **derived: Callable[[Mapping[str, Any]], Any],
    ) -> Response:
        """The GET of one row: ``read`` (one statement; ``row_id`` is its ``id``) on the
        lean path of ``reads``, answered as ``schema`` with its ETag; the fields of
        ``derived`` are computed from the row. 404 when row-level security hides the
        row, 403 when ``access`` may not read it (as :meth:`readable`)."""
        row = await reads.one(read, id=row_id)
        if row is None:
            raise NotFound(self.what, row_id)
        body = self.schema.model_validate(
            {**row, **{name: field(row) for name, field in derived.items()}}
        )
        access.check_read(self.scope(body))
        return versioned(body, _version_of(body))
