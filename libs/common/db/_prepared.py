"""One row read on a pooled connection, past the session: the lean path of a single-object GET.

An authenticated GET of one object through an ``AsyncSession`` spends most of its
CPU around the one statement it needs: the session and its transaction objects,
the ORM's execution of a Core statement, the result's row processing, and the
greenlet hops of each step (docs/benchmarks.md, "HTTP path"). :class:`PooledReads`
checks a connection out of the service's own pool and sends on its asyncpg
connection what the session would: ``BEGIN`` with the tenant context
(libs/common/db/_begin.py, one round trip), the statement prepared once per
connection (asyncpg's statement cache), ``COMMIT``. Row-level security applies
as on every request: the context is the caller's, local to that transaction.

:class:`SessionReads` runs the same statement inside a session's transaction
on that transaction's connection (tests run each request in a savepoint of their
own transaction).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from libs.common.db._begin import ContextConnection, context_query
from libs.common.db._tenancy import TenantContext
from libs.common.telemetry import statement_span

__all__ = ["PooledReads", "PreparedRead", "RowReads", "SessionReads"]

_ASYNCPG = PGDialect_asyncpg()  # type: ignore[no-untyped-call]
_SET_CONTEXT = context_query("$1", "$2")


class PreparedRead:
    """A Core SELECT compiled once into asyncpg's SQL (``$n`` parameters, in a fixed order).

    Its parameters are ``sa.bindparam`` names, passed to :meth:`RowReads.one` by name
    and to asyncpg as they are (UUIDs, strings, numbers: no SQLAlchemy type
    processing). JSON and JSONB columns come back decoded, as SQLAlchemy's asyncpg
    dialect sets their codecs on every connection of the pool.
    """

    def __init__(self, select: sa.Select[Any]) -> None:
        compiled = select.compile(dialect=_ASYNCPG)
        self.select = select
        self.sql: str = compiled.string
        self.names: tuple[str, ...] = tuple(compiled.positiontup or ())
        # The statement's own values (literals SQLAlchemy binds, such as JSON keys).
        self.fixed: dict[str, Any] = {
            name: bind.value
            for name, bind in compiled.binds.items()
            if name in self.names and not bind.required
        }

    def arguments(self, params: Mapping[str, Any]) -> tuple[Any, ...]:
        given = {**self.fixed, **params} if self.fixed else params
        return tuple(given[name] for name in self.names)


class RowReads(Protocol):
    """Where a request's :class:`PreparedRead` runs, in the caller's tenant context."""

    async def one(self, read: PreparedRead, /, **params: Any) -> Mapping[str, Any] | None:
        """The first row ``read`` selects with ``params`` (by column label), or None."""
        ...


class PooledReads:
    """Each read a transaction of its own on a connection of ``engine``'s pool, in ``ctx``."""

    __slots__ = ("ctx", "engine", "visible")

    def __init__(self, engine: AsyncEngine, ctx: TenantContext) -> None:
        self.engine = engine
        self.ctx = ctx
        self.visible = ",".join(sorted(ctx.visible))

    async def one(self, read: PreparedRead, /, **params: Any) -> Mapping[str, Any] | None:
        args = read.arguments(params)
        # The pool's own checkout: its events (the ping of a rested connection) and limits.
        pooled = await self.engine.raw_connection()
        try:
            conn: Any = pooled.driver_connection  # asyncpg's, a ContextConnection
            carried = isinstance(conn, ContextConnection) and conn.context_for_begin(
                self.ctx.tenant, self.visible
            )
            await conn.execute("BEGIN")  # with the context, when the connection carries it
            if not carried:
                await conn.execute(_SET_CONTEXT, self.ctx.tenant, self.visible)
            with statement_span(self.engine, read.sql):
                row = await conn.fetchrow(read.sql, *args)
            await conn.execute("COMMIT")
        except BaseException:
            # Failed or cancelled mid-transaction: the connection's state is unknown,
            # so it is closed rather than handed to the next request.
            pooled.invalidate()
            raise
        finally:
            pooled.close()  # back to the pool (the adapter has no transaction to reset)
        return None if row is None else dict(row.items())


class SessionReads:
    """The reads of a session's transaction, in its tenant context, on its connection."""

    __slots__ = ("session",)

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def one(self, read: PreparedRead, /, **params: Any) -> Mapping[str, Any] | None:
        raw = await (await self.session.connection()).get_raw_connection()
        if not getattr(raw.dbapi_connection, "_started", True):
            # The transaction's BEGIN (and its context) waits for its first statement.
            await self.session.execute(_BEGUN)
        conn: Any = raw.driver_connection
        row = await conn.fetchrow(read.sql, *read.arguments(params))
        return None if row is None else dict(row.items())


_BEGUN = sa.text("SELECT 1")
