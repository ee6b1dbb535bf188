from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.db._begin import carry_into_begin, context_query


@dataclass(frozen=True, slots=True)
class TenantContext:
    """Who the transaction acts for: it writes in ``tenant`` and reads ``visible``."""

    tenant: str
    visible: frozenset[str]

    @classmethod
    def own(cls, tenant: str, also_visible: Iterable[str] = ()) -> TenantContext:
        return cls(tenant=tenant, visible=frozenset({tenant, *also_visible}))


_SET_CONTEXT = text(context_query(":tenant", ":visible"))


ContextHook = Callable[[AsyncSession], Awaitable[None]]
_before_context_change: list[ContextHook] = []


def before_context_change(hook: ContextHook) -> ContextHook:
    """Run ``hook`` before a transaction's tenant context is (re)set.

    For writes a session holds back until commit (the outbox's events): they
    must reach PostgreSQL under the context they were made in, not the next.
    """
    _before_context_change.append(hook)
    return hook


async def apply_tenant_context(session: AsyncSession, ctx: TenantContext) -> None:
    """Set the RLS context for the current transaction only (``is_local``).

    Transaction-local settings vanish at commit or rollback, so a pooled
    connection handed to the next request carries nothing over. Writes held
    back under the previous context are written first (:func:`before_context_change`).
    """
    for hook in _before_context_change:
        await hook(session)
    visible = ",".join(sorted(ctx.visible))
    # Before the transaction's first statement, the context goes out with its BEGIN.
    if await carry_into_begin(session, ctx.tenant, visible):
        return
    await session.execute(_SET_CONTEXT, {"tenant": ctx.tenant, "visible": visible})


@asynccontextmanager
async def transaction(
    sessionmaker: async_sessionmaker[AsyncSession], ctx: TenantContext | None
) -> AsyncIterator[AsyncSession]:
    """One transaction: commits when the block succeeds, rolls back when it raises.

    Service code only flushes; the edge (request dependency, consumer runner)
    owns the commit.
    """
    async with sessionmaker() as session, session.begin():
        if ctx is not None:
            await apply_tenant_context(session, ctx)
        yield session
