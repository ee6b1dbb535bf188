from __future__ import annotations

import time
from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from libs.common.db._begin import ContextConnection, forget_on_checkin

PING_AFTER_IDLE = 1.0
"""Seconds a pooled connection may rest before it is pinged on checkout.

SQLAlchemy's ``pool_pre_ping`` pings on every checkout, and the asyncpg dialect's
ping is three round trips (BEGIN, ``;``, ROLLBACK): three of the ten to fifteen
round trips of a whole API request. A connection used less than a second ago
is trusted instead; one that rested longer (the only kind that can have
outlived a PostgreSQL restart unnoticed, a restart taking longer than that) is
pinged and, if dead, replaced before the request sees it. A connection that
dies within its second fails the one statement that meets it; SQLAlchemy then
invalidates the whole pool, so the next checkout connects afresh.
"""


def _ping_rested_connections(engine: AsyncEngine) -> None:
    pool = engine.sync_engine.pool

    @event.listens_for(pool, "checkin")
    def _returned(dbapi_connection: Any, record: Any) -> None:
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(pool, "checkout")
    def _ping_if_rested(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        returned = record.info.get("returned_at")
        if returned is None or time.monotonic() - returned < PING_AFTER_IDLE:
            return  # fresh, or used a moment ago
        try:
            dbapi_connection.ping()
        except Exception as exc:
            # The pool discards this connection and checks out another (up to 3 tries).
            raise DisconnectionError("pooled connection is dead") from exc


def create_engine(url: str, *, pool_size: int = 10, echo: bool = False) -> AsyncEngine:
    """An asyncpg engine that rides out a PostgreSQL restart (rested connections are pinged)."""
    engine = create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        # Last in, first out: the connections a steady load needs stay warm (and
        # unpinged); the spares rest.
        pool_use_lifo=True,
        echo=echo,
        # The tenant context rides on each transaction's BEGIN (libs/common/db/_begin.py).
        connect_args={"connection_class": ContextConnection},
    )
    _ping_rested_connections(engine)
    forget_on_checkin(engine)
    return engine


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit (responses are built after it)."""
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=True)
