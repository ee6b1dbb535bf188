"""The floor of the HTTP layer for bench/http_path.py: a bare FastAPI app under the same uvicorn.

    uvicorn bench.bare_app:create_app --factory

``GET /bare`` answers a small JSON object and nothing else (uvicorn + Starlette
+ FastAPI routing and serialisation); ``GET /auth`` adds our bearer-token
verification (libs/common/auth, the issuer and audience from the usual
``GOVPROJ_OIDC_*`` settings). Nothing else: no database, no tracing, no tenant
tree, so the gap to a service's route is what the service adds.
"""

from __future__ import annotations

from fastapi import FastAPI

from libs.common.auth import CurrentSubject, install_auth
from libs.common.settings import CommonSettings


def create_app() -> FastAPI:
    app = FastAPI(openapi_url=None)
    install_auth(app, CommonSettings())

    @app.get("/bare")
    async def bare() -> dict[str, str]:
        return {"status": "ok", "service": "bare"}

    @app.get("/auth")
    async def authenticated(subject: CurrentSubject) -> dict[str, str]:
        return {"status": "ok", "user": subject.user, "tenant": subject.tenant}

    return app
