"""The console's FastAPI app: pages, login, static files; no database of its own."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from libs.common.settings import CommonSettings
from libs.vocab import label
from services.portal import oidc
from services.portal.calls import CallCounter
from services.portal.client import ApiError
from services.portal.csrf import CsrfGuard
from services.portal.pages import ROUTERS
from services.portal.settings import PortalSettings, portal_settings
from services.portal.web import LoginRequired, NotAllowed, render

STATIC = Path(__file__).parent / "static"


def create_app(
    settings: PortalSettings | None = None, common: CommonSettings | None = None
) -> FastAPI:
    """The console for ``settings`` (default: from the environment)."""
    if settings is None or common is None:
        settings, common = portal_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Uploads of hundreds of MiB stream through: no read timeout while they flow.
        async with httpx.AsyncClient(
            timeout=httpx.Timeout(settings.timeout_seconds, read=None, write=None)
        ) as http:
            app.state.http = http
            yield

    app = FastAPI(
        title="GovProj 门户", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None
    )
    app.state.settings = settings
    app.state.common = common
    app.state.secret = settings.session_secret
    app.state.urls = settings.service_urls
    app.state.issuer = common.oidc_issuer
    app.state.oidc = oidc.OidcClient(
        issuer=common.oidc_issuer,
        settings=settings,
        roles_audience=common.oidc_audience,
        leeway_seconds=common.token_leeway_seconds,
    )
    app.state.tenant_names = {}
    app.add_middleware(CsrfGuard, secret=settings.session_secret, public_url=settings.base_url)
    app.add_middleware(CallCounter)  # Server-Timing: how many service calls the page took
    # Outermost: a due refresh happens before anything reads the session.
    app.add_middleware(oidc.SessionRefresher)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(oidc.router)
    for router in ROUTERS:
        app.include_router(router)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> dict[str, str]:
        return {"status": "ok"}

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        return await oidc.login_required(request)

    @app.exception_handler(NotAllowed)
    async def _not_allowed(request: Request, exc: NotAllowed) -> HTMLResponse:
        needed = "、".join(label("role", r) for r in exc.roles)
        return render(
            request, "error.html", None, 403, title="无权访问", message=f"此页面仅供{needed}使用。"
        )

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> Response:
        if exc.status == 401:
            return await _login(request, LoginRequired())
        if exc.status == 404:
            # The service's detail names the object by its id; a person needs only to
            # know it is not there for them (404 also answers another tenant's object).
            title, message = "找不到", "找不到该对象，或它不属于您可见的辖区。"
        else:
            title, message = "操作未完成", exc.message
        return render(
            request,
            "error.html",
            None,
            exc.status if exc.status >= 400 else 502,
            title=title,
            message=message,
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> HTMLResponse:
        # A hand-edited address (/plans/abc, a step without its workflow): say what is wrong.
        return render(
            request,
            "error.html",
            None,
            422,
            title="地址或参数不正确",
            message="地址中的参数不完整或不正确。请从页面上的链接进入。",
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> HTMLResponse:
        if exc.status_code == 404:
            return render(
                request, "error.html", None, 404, title="找不到", message="没有这个页面。"
            )
        if exc.status_code == 405:
            return render(
                request,
                "error.html",
                None,
                405,
                title="操作方式不正确",
                message="请从页面上的按钮或链接进行此操作。",
            )
        return render(
            request,
            "error.html",
            None,
            exc.status_code,
            title="请求未完成",
            message=f"请求未完成（{exc.status_code}）。",
        )

    return app


def main() -> None:
    """Serve the console with uvicorn (``python -m services.portal``)."""
    import uvicorn

    settings, common = portal_settings()
    uvicorn.run(
        create_app(settings, common),
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
    )
