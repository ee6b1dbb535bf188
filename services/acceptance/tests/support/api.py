"""The acceptance app on one rolled-back session, called in-process through httpx.ASGITransport.

Only what an API test cannot have in-process is replaced: the token verifier
(callers are :class:`AuthSubject`\\ s named by their bearer string) and the
request's transaction (each request runs in a savepoint of the test's session,
in the caller's RLS context, rolled back when the request fails, as the real
one would be).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI, Request
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import AuthSubject, current_subject
from libs.common.db import apply_tenant_context
from libs.common.errors import Problem
from libs.common.service import db_session, tenant_context_of
from services.acceptance.app import create_app

__all__ = ["Callers", "client_for"]


class Callers:
    """Bearer strings → subjects: ``headers(subject)`` gives the header that acts as it."""

    def __init__(self) -> None:
        self._by_token: dict[str, AuthSubject] = {}

    def headers(self, subject: AuthSubject, **extra: str) -> dict[str, str]:
        token = f"t{len(self._by_token)}"
        self._by_token[token] = subject
        return {"Authorization": f"Bearer {token}", **extra}

    async def verify(self, token: str, *, tenant_tree: object = None) -> AuthSubject:
        """What the token verifier answers (the request gate calls it before the body is read)."""
        if token not in self._by_token:
            raise Problem(401, "unauthenticated", "未认证或凭证无效", "Authorization: 未知令牌")
        return self._by_token[token]

    async def resolve(self, request: Request) -> AuthSubject:
        return await self.verify(request.headers.get("Authorization", "").removeprefix("Bearer "))


def _app(session: AsyncSession, callers: Callers) -> FastAPI:
    app = create_app()
    app.state.token_verifier = callers

    async def subject(request: Request) -> AuthSubject:
        return await callers.resolve(request)

    async def transaction(request: Request) -> AsyncIterator[AsyncSession]:
        # Write what the test set up under its own context, then forget it: the identity
        # map must not hand this caller an object without a query (and so without RLS).
        await session.flush()
        session.expunge_all()
        await apply_tenant_context(session, tenant_context_of(await callers.resolve(request)))
        async with session.begin_nested():
            yield session

    app.dependency_overrides[current_subject] = subject
    app.dependency_overrides[db_session] = transaction
    return app


@asynccontextmanager
async def client_for(session: AsyncSession, callers: Callers) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the acceptance app whose requests share ``session`` (rolled back by the test)."""
    transport = httpx.ASGITransport(app=_app(session, callers))
    async with httpx.AsyncClient(transport=transport, base_url="http://acceptance") as client:
        yield client
