"""The floors of the HTTP layer for bench/http_path.py: a bare FastAPI app under the same uvicorn.

    uvicorn bench.bare_app:create_app --factory

``GET /bare`` answers a small JSON object and nothing else (uvicorn + Starlette
+ FastAPI routing and serialisation); ``GET /auth`` adds our bearer-token
verification (libs/common/auth, the issuer and audience from the usual
``GOVPROJ_OIDC_*`` settings). ``GET /read/{id}`` runs layer (c)'s raw asyncpg
transaction (BEGIN, the tenant ``set_config``, SELECT the project row, COMMIT)
on a pool of its own and answers the row as JSON; ``GET /auth-read/{id}`` does
the same for the token's tenant after verifying it. Nothing else: no ORM, no
tracing, no tenant tree, no response model, so these two are the most a route
on this framework can get out of the raw read, and the gap from them to a
service's route is what the service adds.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from fastapi import FastAPI, HTTPException, Request, Response

from libs.common.auth import CurrentSubject, install_auth
from libs.common.settings import CommonSettings

_CONTEXT = (
    "SELECT set_config('app.tenant_id', $1, true), set_config('app.visible_tenants', $2, true)"
)
_ROW = "SELECT * FROM registry.projects WHERE id = $1"


async def _read(pool: Any, tenant: str, project_id: uuid.UUID) -> Response:
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(_CONTEXT, tenant, tenant)
        row = await conn.fetchrow(_ROW, project_id)
    if row is None:
        raise HTTPException(404)
    return Response(json.dumps(dict(row), default=str), media_type="application/json")


def create_app() -> FastAPI:
    settings = CommonSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        dsn = settings.database_url.replace("postgresql+asyncpg://", "postgresql://", 1)
        async with asyncpg.create_pool(dsn, min_size=1, max_size=10) as pool:
            app.state.pool = pool
            yield

    app = FastAPI(openapi_url=None, lifespan=lifespan)
    install_auth(app, settings)

    @app.get("/bare")
    async def bare() -> dict[str, str]:
        return {"status": "ok", "service": "bare"}

    @app.get("/auth")
    async def authenticated(subject: CurrentSubject) -> dict[str, str]:
        return {"status": "ok", "user": subject.user, "tenant": subject.tenant}

    @app.get("/read/{project_id}")
    async def read(project_id: uuid.UUID, request: Request, tenant: str) -> Response:
        return await _read(request.app.state.pool, tenant, project_id)

    @app.get("/auth-read/{project_id}")
    async def authenticated_read(
        project_id: uuid.UUID, request: Request, subject: CurrentSubject
    ) -> Response:
        return await _read(request.app.state.pool, subject.tenant, project_id)

    return app
