"""The shape every GovProj service shares: app factory, health, tenancy, workers.

A service describes itself with a :class:`ServiceSpec` (its router, its
metadata, the events it consumes) and gets a FastAPI app that:

- verifies bearer tokens and answers every error as problem+json;
- opens one transaction per request with the caller's tenant context
  (:data:`DbSession`); the dependency commits, services only flush;
- keeps a replica of the tenant tree fed by the registry's events;
- runs its outbox relay and event consumers (unless told not to);
- serves ``/healthz`` (the process lives) and ``/readyz`` (database and NATS);
- refuses to start on a database schema older than its code.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Protocol

import nats
import sqlalchemy as sa
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from nats.aio.client import Client as NatsClient
from sqlalchemy import MetaData, Table
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import DeclarativeBase

from libs.common.auth import AuthSubject, CurrentSubject, RequestGate, install_auth
from libs.common.db import (
    PooledReads,
    RowReads,
    SessionReads,
    TenantContext,
    create_engine,
    create_sessionmaker,
    transaction,
)
from libs.common.db.migrations import is_up_to_date
from libs.common.errors import Problem, install_problem_handlers
from libs.common.events import (
    ConsumerRunner,
    Event,
    OutboxRelay,
    configure_header_encoding,
    durable_name,
    ensure_streams,
)
from libs.common.events._backoff import wait_for_event
from libs.common.events._prune import start_outbox_pruning
from libs.common.settings import ServiceSettings, service_settings
from libs.common.telemetry import (
    configure_logging,
    configure_tracing,
    instrument_http,
    instrument_sql,
)
from libs.common.tenants import TENANT_EVENT_TYPES, CachedTenantTree, apply_tenant_event

__all__ = [
    "DbReads",
    "DbSession",
    "EventHandler",
    "ExtraConsumer",
    "ServiceSpec",
    "actor_of",
    "create_service_app",
    "db_reads",
    "db_session",
    "session_reads",
    "tenant_context_of",
]

log = logging.getLogger(__name__)

EventHandler = Callable[[AsyncSession, Event], Awaitable[None]]


@dataclass(frozen=True)
class ExtraConsumer:
    """A durable consumer on another stream than GOVPROJ (e.g. the finance system's answers).

    ``durable`` is the consumer's name (its inbox key); the JetStream durable is
    :attr:`jetstream_durable`, which changes with ``subjects``.
    """

    durable: str
    stream: str
    subjects: Sequence[str]
    handlers: Mapping[str, EventHandler]

    @property
    def jetstream_durable(self) -> str:
        return durable_name(self.durable, self.subjects)


@dataclass
class ServiceSpec:
    """What makes one service different from another."""

    name: str
    title: str
    description: str
    router: APIRouter
    metadata: MetaData
    tenants: Table
    # Event type -> handler; the tenant replica's handler is added for every service.
    handlers: Mapping[str, EventHandler] = field(default_factory=dict)
    # Subjects the service's durable consumer listens to (besides tenant events).
    subjects: Sequence[str] = ()
    on_startup: Sequence[Callable[[FastAPI], Awaitable[None]]] = ()
    # Consumers of the FINANCE / AUDIT streams (external systems' answers), run beside the main one.
    consumers: Sequence[ExtraConsumer] = ()

    @property
    def consumer_subjects(self) -> list[str]:
        """What the main consumer (named after the service) reads on GOVPROJ."""
        return ["govproj.*.registry.tenant.>", *self.subjects]

    @property
    def jetstream_durable(self) -> str:
        """The main consumer's JetStream durable (its name plus its filter set's hash)."""
        return durable_name(self.name, self.consumer_subjects)

    @classmethod
    def of(
        cls,
        api: ServiceApi,
        models: ServiceModels,
        events: ServiceEvents,
        *,
        title: str,
        description: str,
        **extra: Any,
    ) -> ServiceSpec:
        """The spec of a service laid out as docs/adr/0007-service-layout.md says.

        Its name is its schema's; its router, tables and handler table come from
        its ``api``, ``models`` and ``events`` modules; ``extra`` sets the rest.
        """
        name = models.Base.metadata.schema
        if name is None:
            raise ValueError("a service's tables live in its own schema (libs.common.db.make_base)")
        return cls(
            name=name,
            title=title,
            description=description,
            router=api.router,
            metadata=models.Base.metadata,
            tenants=models.tenants,
            handlers=events.HANDLERS,
            subjects=events.SUBJECTS,
            **extra,
        )

    def create_app(
        self,
        settings: ServiceSettings | None = None,
        *,
        run_workers: bool | None = None,
        check_schema: bool = True,
        serve_api: bool = True,
    ) -> FastAPI:
        """This service's app (:func:`create_service_app`; a worker with ``serve_api=False``)."""
        return create_service_app(
            self, settings, run_workers=run_workers, check_schema=check_schema, serve_api=serve_api
        )


class ServiceApi(Protocol):
    """A service's ``api.py``: the router that mounts its aggregates."""

    router: APIRouter


class ServiceModels(Protocol):
    """A service's ``models.py``: its declarative base (of its schema) and tenant replica."""

    tenants: Table

    @property
    def Base(self) -> type[DeclarativeBase]: ...  # noqa: N802 (the module's class)


class ServiceEvents(Protocol):
    """A service's ``events.py``: its handler table and the subjects it listens to."""

    HANDLERS: Mapping[str, EventHandler]
    SUBJECTS: tuple[str, ...]


def tenant_context_of(subject: AuthSubject) -> TenantContext:
    """The RLS context of a caller: writes in its tenant, reads what it may see."""
    return TenantContext(tenant=subject.tenant, visible=frozenset(subject.visible_tenants))


async def db_session(request: Request, subject: CurrentSubject) -> AsyncIterator[AsyncSession]:
    """One transaction per request, in the caller's tenant context; commits on success."""
    async with transaction(request.app.state.sessionmaker, tenant_context_of(subject)) as session:
        yield session


# scope="function": the transaction commits before the response is sent. With the
# default ("request") scope FastAPI sends the response first, so a client could get
# 201 and not find the row on its next request, and a commit that failed would
# already have been answered with success.
DbSession = Annotated[AsyncSession, Depends(db_session, scope="function")]


async def db_reads(request: Request, subject: CurrentSubject) -> RowReads:
    """A single-object GET's reads: each its own transaction in the caller's tenant context,
    on a pooled connection without a session (:class:`libs.common.db.PooledReads`)."""
    return PooledReads(request.app.state.engine, tenant_context_of(subject))


async def session_reads(session: DbSession) -> RowReads:
    """:func:`db_reads` on the request's session (a test's override of ``db_reads``)."""
    return SessionReads(session)


#: The reads of a GET that needs nothing but one row (no session, no commit to wait for).
DbReads = Annotated[RowReads, Depends(db_reads)]


def _tenant_handler(spec: ServiceSpec, tree: CachedTenantTree) -> EventHandler:
    async def handle(session: AsyncSession, event: Event) -> None:
        await apply_tenant_event(session, spec.tenants, event.data)
        # The in-memory tree reloads after the commit (see _reload_tree_soon).
        tree_dirty.set()

    tree_dirty = asyncio.Event()
    handle.tree_dirty = tree_dirty  # type: ignore[attr-defined]
    return handle


def create_service_app(
    spec: ServiceSpec,
    settings: ServiceSettings | None = None,
    *,
    run_workers: bool | None = None,
    check_schema: bool = True,
    serve_api: bool = True,
) -> FastAPI:
    """Build the FastAPI app of ``spec``'s service.

    With ``serve_api=False`` the app is a worker: the outbox relay and the
    consumers with only ``/healthz`` and ``/readyz`` for the orchestrator's
    probes (no routes, no token verification); ``govproj work`` runs it.
    """
    settings = settings or service_settings(spec.name)
    workers = settings.run_workers if run_workers is None else run_workers
    workers = workers or not serve_api

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(spec.name, json_logs=settings.log_json)
        configure_tracing(
            spec.name, settings.otel_exporter_endpoint, sample_ratio=settings.otel_sample_ratio
        )
        configure_header_encoding(settings.events_header_encoding)
        if check_schema and not await asyncio.to_thread(
            is_up_to_date, spec.name, settings.database_url
        ):
            raise RuntimeError(
                f"database schema '{spec.name}' is not at the code's revision: "
                "run `govproj db upgrade` first"
            )
        engine = create_engine(settings.database_url, pool_size=settings.db_pool_size)
        app.state.engine = engine
        app.state.sessionmaker = create_sessionmaker(engine)
        app.state.settings = settings
        tree = CachedTenantTree(spec.tenants)
        app.state.tenant_tree = tree
        async with transaction(app.state.sessionmaker, None) as session:
            await tree.load(session)
        instrument_sql([engine])

        tasks: list[asyncio.Task[Any]] = []
        nc: NatsClient | None = None
        relay_engine: AsyncEngine | None = None
        runner: ConsumerRunner | None = None
        extra_runners: list[ConsumerRunner] = []
        relay: OutboxRelay | None = None
        tenant_handler = _tenant_handler(spec, tree)
        try:
            nc = await nats.connect(
                settings.nats_connect_url(),
                max_reconnect_attempts=-1,
                reconnect_time_wait=0.5,
                name=f"govproj-{spec.name}",
            )
            app.state.nats = nc
            js = nc.jetstream()
            await ensure_streams(js, replicas=settings.nats_stream_replicas)
            tasks.append(asyncio.create_task(_refresh_tree(app, tree, tenant_handler)))
            # Hooks prepare what handlers use (e.g. the policy packs): run them
            # before the consumer can deliver its first event.
            for hook in spec.on_startup:
                await hook(app)
            if workers:
                relay_engine = create_engine(settings.relay_database_url, pool_size=2)
                instrument_sql([relay_engine], roots=False)
                relay = OutboxRelay(create_sessionmaker(relay_engine), js, schema=spec.name)
                tasks.append(asyncio.create_task(relay.run(), name=f"{spec.name}-relay"))
                start_outbox_pruning(app, spec.name)  # only with an owner URL configured
                handlers: dict[str, EventHandler] = dict.fromkeys(
                    TENANT_EVENT_TYPES, tenant_handler
                )
                handlers.update(spec.handlers)
                runner = ConsumerRunner(
                    app.state.sessionmaker,
                    settings.nats_connect_url(),
                    schema=spec.name,
                    durable=spec.name,
                    stream="GOVPROJ",
                    filter_subjects=spec.consumer_subjects,
                    handlers=handlers,
                )
                tasks.append(asyncio.create_task(runner.run(), name=f"{spec.name}-consumer"))
                for extra in spec.consumers:
                    extra_runner = ConsumerRunner(
                        app.state.sessionmaker,
                        settings.nats_connect_url(),
                        schema=spec.name,
                        durable=extra.durable,
                        stream=extra.stream,
                        filter_subjects=list(extra.subjects),
                        handlers=extra.handlers,
                    )
                    extra_runners.append(extra_runner)
                    tasks.append(
                        asyncio.create_task(extra_runner.run(), name=f"{extra.durable}-consumer")
                    )
            yield
        finally:
            if runner is not None:
                runner.stop()
            for extra_runner in extra_runners:
                extra_runner.stop()
            if relay is not None:
                relay.stop()
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            if nc is not None:
                with contextlib.suppress(Exception):
                    await nc.drain()
            if relay_engine is not None:
                await relay_engine.dispose()
            await engine.dispose()

    app = FastAPI(
        title=spec.title,
        description=spec.description,
        version="0.1.0",
        lifespan=lifespan,
        openapi_url="/openapi.json",
    )
    install_problem_handlers(app)
    instrument_http(app)
    app.include_router(_health_router(spec.name))
    if serve_api:
        install_auth(app, settings)
        app.add_middleware(
            RequestGate,
            max_json_body=settings.max_json_body,
            max_upload_body=settings.max_upload_body,
        )
        app.include_router(spec.router)
    return app


async def _refresh_tree(app: FastAPI, tree: CachedTenantTree, handler: EventHandler) -> None:
    """Reload the in-memory tree after tenant events, and every few seconds regardless."""
    dirty: asyncio.Event = handler.tree_dirty  # type: ignore[attr-defined]
    while True:
        await wait_for_event(dirty, 5.0)
        dirty.clear()
        # Let the consumer's transaction commit before reading it back.
        await asyncio.sleep(0.05)
        try:
            async with transaction(app.state.sessionmaker, None) as session:
                await tree.load(session)
        except Exception:  # a database blip: keep the old tree, try again later
            log.warning("tenant tree reload failed", exc_info=True)


def _health_router(service: str) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz", summary="存活检查")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": service}

    @router.get(
        "/readyz", summary="就绪检查（数据库与 NATS）", responses={503: {"description": "未就绪"}}
    )
    async def readyz(request: Request) -> JSONResponse:
        checks: dict[str, str] = {}
        try:
            async with request.app.state.engine.connect() as conn:
                await conn.execute(sa.text("SELECT 1"))
            checks["database"] = "ok"
        except Exception as exc:  # readiness reports, it does not raise
            checks["database"] = f"error: {type(exc).__name__}"
        nc = getattr(request.app.state, "nats", None)
        checks["nats"] = "ok" if nc is not None and nc.is_connected else "error: disconnected"
        ready = all(v == "ok" for v in checks.values())
        if not ready:
            problem = Problem(
                503,
                "not_ready",
                "服务暂不可用",
                "; ".join(f"{k}: {v}" for k, v in checks.items() if v != "ok"),
                extra={"checks": checks},
            )
            return JSONResponse(
                problem.to_dict("/readyz"), status_code=503, media_type="application/problem+json"
            )
        return JSONResponse({"status": "ready", "service": service, "checks": checks})

    return router


def sessionmaker_of(app: FastAPI) -> async_sessionmaker[AsyncSession]:
    """The app's sessionmaker (for consumers and tools running beside the API)."""
    maker: async_sessionmaker[AsyncSession] = app.state.sessionmaker
    return maker


def actor_of(subject: AuthSubject) -> dict[str, Any]:
    """How an event names the person who caused it (the stream is the audit trail)."""
    return {
        "type": "user",
        "id": subject.user,
        "name": subject.name,
        "tenant": subject.tenant,
        "roles": sorted(subject.roles),
    }
