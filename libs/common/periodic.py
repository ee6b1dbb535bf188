"""Periodic work in the worker processes: one round every interval, per tenant.

Sweeps (deadlines, expiring approvals, fixity audits) run where the workers
run (``govproj work``, or ``serve`` with workers), never in API-only replicas,
and each tenant in its own transaction under its own RLS context, so one
jurisdiction's failure or lock never holds up another's.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.db import TenantContext, transaction

__all__ = ["for_each_tenant", "start_periodic"]

log = logging.getLogger("govproj.periodic")
T = TypeVar("T")


async def for_each_tenant(
    maker: async_sessionmaker[AsyncSession],
    tenants: Table,
    work: Callable[[AsyncSession, str], Awaitable[T]],
    codes: Iterable[str] | None = None,
) -> dict[str, T]:
    """Run ``work(session, code)`` for ``codes`` (default: every tenant of the replica)."""
    if codes is None:
        async with transaction(maker, None) as session:
            codes = [str(c) for c in (await session.scalars(sa.select(tenants.c.code))).all()]
    out: dict[str, T] = {}
    for code in sorted(set(codes)):
        async with transaction(maker, TenantContext.own(code)) as session:
            out[code] = await work(session, code)
    return out


def start_periodic(
    app: FastAPI,
    name: str,
    interval: float,
    round_: Callable[[], Awaitable[Any]],
    *,
    first_delay: float | None = None,
) -> asyncio.Task[None] | None:
    """Run ``round_`` every ``interval`` seconds in worker processes; a failed round is
    logged and the next one catches up. Returns the task (None where no workers run)."""
    if interval <= 0 or not app.state.settings.run_workers:
        return None

    async def loop() -> None:
        await asyncio.sleep(min(10.0, interval) if first_delay is None else first_delay)
        while True:
            try:
                result = await round_()
                if result:
                    log.info("%s: %s", name, result)
            except Exception:  # an outage: the next round catches up
                log.warning("%s round failed", name, exc_info=True)
            await asyncio.sleep(interval)

    task = asyncio.create_task(loop(), name=name)
    # Nothing awaits the task: keep a crash visible rather than silently lost.
    task.add_done_callback(
        lambda t: None if t.cancelled() else log.warning("%s ended: %r", name, t.exception())
    )
    tasks: list[asyncio.Task[None]] = getattr(app.state, "periodic_tasks", [])
    tasks.append(task)
    app.state.periodic_tasks = tasks
    return task
