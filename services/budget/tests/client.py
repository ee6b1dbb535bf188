"""Calling the budget app in-process as a given person, with a real signed token."""

from __future__ import annotations

from collections.abc import Mapping, Set
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from govproj.dev.issuer import mint_token
from libs.common.auth import AuthSubject

__all__ = ["Api", "StaticTree"]


@dataclass(frozen=True)
class StaticTree:
    """A tenant tree held in memory: parent → its descendants."""

    below: Mapping[str, Set[str]]

    def descendants(self, code: str) -> Set[str]:
        return self.below.get(code, frozenset())


@dataclass
class Api:
    """Calls the app as a person: the dev issuer signs a token with their tenant, roles, unit."""

    app: FastAPI
    home: Path
    issuer: str

    def token(self, who: AuthSubject) -> str:
        return mint_token(
            self.home,
            issuer=self.issuer,
            audience="govproj",
            tenant=who.tenant,
            roles=sorted(who.roles),
            user=who.user,
            name=who.name,
            unit=who.unit_id,
        )

    async def call(
        self, method: str, path: str, *, who: AuthSubject, **kwargs: Any
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token(who)}", **kwargs.pop("headers", {})}
        transport = httpx.ASGITransport(app=self.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://budget") as client:
            return await client.request(method, path, headers=headers, **kwargs)

    async def post(self, path: str, *, who: AuthSubject, **kwargs: Any) -> httpx.Response:
        return await self.call("POST", path, who=who, **kwargs)

    async def get(self, path: str, *, who: AuthSubject, **kwargs: Any) -> httpx.Response:
        return await self.call("GET", path, who=who, **kwargs)
