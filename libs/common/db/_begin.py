"""The tenant context sent with the transaction's ``BEGIN``: one round trip instead of two.

SQLAlchemy's asyncpg dialect opens the database transaction lazily, with a
``BEGIN`` of its own just before the first statement, and the tenant context
(``set_config(…, true)``) then costs a round trip of its own on every request
and consumer batch. A connection of :class:`ContextConnection` (every engine of
:func:`libs.common.db.create_engine` makes them) takes the context of the
transaction about to begin and sends it with that ``BEGIN``, as one simple
query: ``BEGIN; SELECT set_config('app.tenant_id', …, true), …``.

The context can never reach another transaction: it waits only until the
connection's next ``BEGIN``, which on a connection checked out to a session
in a transaction is that session's; the pool forgets it when the connection
comes back (:func:`forget_on_checkin`), so a transaction that ended without a
statement leaves nothing behind; and ``is_local`` settings vanish at its
COMMIT or ROLLBACK like those set by a statement. Only values of the
characters tenant codes use are written into the query text; anything else
takes the ordinary bound ``set_config`` statement.
"""

from __future__ import annotations

import re
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

# Tenant codes and their comma-separated lists: nothing to quote or escape.
_PLAIN = re.compile(r"[0-9A-Za-z_,-]{0,4096}")


def context_query(tenant: str, visible: str) -> str:
    """The statement that sets the tenant context, given each value's SQL (a literal or a parameter)."""
    return (
        f"SELECT set_config('app.tenant_id', {tenant}, true), "
        f"set_config('app.visible_tenants', {visible}, true)"
    )


class ContextConnection(asyncpg.Connection):  # type: ignore[misc]  # asyncpg has no stubs
    """An asyncpg connection that sends a waiting tenant context with its next ``BEGIN``."""

    _context_for_begin: tuple[str, str] | None = None

    def context_for_begin(self, tenant: str, visible: str) -> bool:
        """Send ``tenant`` and ``visible`` with the next BEGIN; False when they need quoting."""
        if not (_PLAIN.fullmatch(tenant) and _PLAIN.fullmatch(visible)):
            return False
        self._context_for_begin = (tenant, visible)
        return True

    def forget_context(self) -> None:
        self._context_for_begin = None

    async def execute(
        self,
        query: str,
        *args: Any,
        timeout: float | None = None,  # noqa: ASYNC109 (asyncpg's own signature)
    ) -> str:
        context = self._context_for_begin
        if context is not None and not args and query.startswith("BEGIN"):
            self._context_for_begin = None
            tenant, visible = context
            query = query.rstrip(";") + "; " + context_query(f"'{tenant}'", f"'{visible}'")
        status: str = await super().execute(query, *args, timeout=timeout)
        return status


def forget_on_checkin(engine: AsyncEngine) -> None:
    """A connection back in the pool carries no context to its next user."""

    @event.listens_for(engine.sync_engine.pool, "checkin")
    def _forget(dbapi_connection: Any, record: Any) -> None:
        driver = getattr(dbapi_connection, "driver_connection", None)
        if isinstance(driver, ContextConnection):
            driver.forget_context()


async def carry_into_begin(session: AsyncSession, tenant: str, visible: str) -> bool:
    """Have the session's transaction begin with this context; False when it has begun.

    True means the context is set for every statement of the transaction, the
    first included, without a statement of its own.
    """
    raw = await (await session.connection()).get_raw_connection()
    driver = raw.driver_connection
    if not isinstance(driver, ContextConnection):
        return False
    # The dialect's flag: has its BEGIN gone out yet? (True also covers an unknown dialect.)
    if getattr(raw.dbapi_connection, "_started", True):
        return False
    return driver.context_for_begin(tenant, visible)
