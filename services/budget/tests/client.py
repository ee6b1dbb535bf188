"""Calling the budget app in-process as a given person (the ``api`` fixture of conftest.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import AuthSubject

__all__ = ["Api"]


@dataclass
class Api:
    """Calls the app as ``who``; every call runs in a savepoint of the test's transaction."""

    app: FastAPI
    session: AsyncSession
    who: AuthSubject | None = None

    async def call(
        self, method: str, path: str, *, who: AuthSubject, **kwargs: Any
    ) -> httpx.Response:
        self.who = who
        transport = httpx.ASGITransport(app=self.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://budget") as client:
            return await client.request(method, path, **kwargs)

    async def post(self, path: str, *, who: AuthSubject, **kwargs: Any) -> httpx.Response:
        return await self.call("POST", path, who=who, **kwargs)

    async def get(self, path: str, *, who: AuthSubject, **kwargs: Any) -> httpx.Response:
        return await self.call("GET", path, who=who, **kwargs)
