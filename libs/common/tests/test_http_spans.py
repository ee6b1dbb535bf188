"""Each request's HTTP server span is named after the route template it was answered by,
with the attributes the OpenTelemetry instrumentation gives it, whatever the nesting of
routers; a request no route matched, a failure and the health probes as before."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from starlette.types import ASGIApp, Receive, Scope, Send

from libs.common.errors import install_problem_handlers
from libs.common.telemetry import instrument_http
from libs.common.testing.tracing import recorded_spans


class RefuseEarly:
    """Answers 401 before routing, as RequestGate answers a POST without a valid token."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (b"x-refuse", b"1") in scope["headers"]:
            await send({"type": "http.response.start", "status": 401, "headers": []})
            await send({"type": "http.response.body", "body": b""})
            return
        await self.app(scope, receive, send)


def service_like_app() -> FastAPI:
    """Routers as the services nest them (an aggregate's ``/v1`` router in the service's
    router in the app), one router included under two prefixes, and a failing route."""
    app = FastAPI()
    install_problem_handlers(app)
    instrument_http(app)
    app.add_middleware(RefuseEarly)

    aggregate = APIRouter(prefix="/v1")

    @aggregate.get("/projects/{project_id}")
    async def read(project_id: str) -> dict[str, str]:
        return {"id": project_id}

    @aggregate.post("/policy/evaluate")
    async def evaluate() -> dict[str, str]:
        return {"decision": "备案"}

    @aggregate.get("/boom")
    async def boom() -> None:
        raise RuntimeError("kaput")

    service = APIRouter()
    service.include_router(aggregate)
    app.include_router(service)

    items = APIRouter()

    @items.get("/items/{n}")
    async def item(n: int) -> dict[str, int]:
        return {"n": n}

    app.include_router(items, prefix="/a")
    app.include_router(items, prefix="/b")

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


@pytest.fixture(scope="module")
def exporter() -> InMemorySpanExporter:
    return recorded_spans()


@pytest.fixture
def client(exporter: InMemorySpanExporter) -> Iterator[TestClient]:
    with TestClient(service_like_app(), raise_server_exceptions=False) as client:
        exporter.clear()
        yield client


def answered(
    client: TestClient,
    exporter: InMemorySpanExporter,
    method: str,
    path: str,
    headers: dict[str, str] | None = None,
) -> tuple[httpx.Response, ReadableSpan]:
    """The answer to one request and its one server span."""
    answer = client.request(method, path, headers=headers)
    spans = [s for s in exporter.get_finished_spans() if s.kind == SpanKind.SERVER]
    assert len(spans) == 1, [s.name for s in spans]
    exporter.clear()
    return answer, spans[0]


def span_of(
    client: TestClient, exporter: InMemorySpanExporter, method: str, path: str, status: int
) -> ReadableSpan:
    """The server span of a request answered ``status``."""
    answer, span = answered(client, exporter, method, path)
    assert answer.status_code == status
    return span


def test_a_span_is_named_after_its_route_template_with_the_request_attributes(
    client: TestClient, exporter: InMemorySpanExporter
) -> None:
    span = span_of(client, exporter, "GET", "/v1/projects/42?x=1", 200)
    assert span.name == "GET /v1/projects/{project_id}"
    attrs = dict(span.attributes or {})
    assert attrs["http.route"] == "/v1/projects/{project_id}"
    assert attrs["http.method"] == "GET"
    assert attrs["http.status_code"] == 200
    assert attrs["http.target"] == "/v1/projects/42"
    assert attrs["http.scheme"] == "http"
    assert "http.url" in attrs and "net.host.port" in attrs
    assert span.status.status_code is not StatusCode.ERROR

    span = span_of(client, exporter, "POST", "/v1/policy/evaluate", 200)
    assert span.name == "POST /v1/policy/evaluate"


def test_a_router_included_twice_names_each_prefix(
    client: TestClient, exporter: InMemorySpanExporter
) -> None:
    assert span_of(client, exporter, "GET", "/a/items/1", 200).name == "GET /a/items/{n}"
    span = span_of(client, exporter, "GET", "/b/items/2", 200)
    assert span.name == "GET /b/items/{n}"
    assert dict(span.attributes or {})["http.route"] == "/b/items/{n}"


def test_a_wrong_method_names_the_route_and_no_route_the_method_alone(
    client: TestClient, exporter: InMemorySpanExporter
) -> None:
    span = span_of(client, exporter, "GET", "/v1/policy/evaluate", 405)
    assert span.name == "GET /v1/policy/evaluate"
    assert dict(span.attributes or {})["http.status_code"] == 405

    span = span_of(client, exporter, "GET", "/v1/nowhere", 404)
    assert span.name == "GET"
    assert "http.route" not in dict(span.attributes or {})


def test_a_request_answered_before_routing_is_named_after_the_route_it_matches(
    client: TestClient, exporter: InMemorySpanExporter
) -> None:
    answer, span = answered(client, exporter, "POST", "/v1/policy/evaluate", {"x-refuse": "1"})
    assert answer.status_code == 401
    assert span.name == "POST /v1/policy/evaluate"
    assert dict(span.attributes or {})["http.route"] == "/v1/policy/evaluate"
    _, span = answered(client, exporter, "GET", "/b/items/7", {"x-refuse": "1"})
    assert span.name == "GET /b/items/{n}"


def test_a_failure_is_answered_500_inside_its_span_with_the_exception(
    client: TestClient, exporter: InMemorySpanExporter
) -> None:
    answer, span = answered(client, exporter, "GET", "/v1/boom")
    assert answer.status_code == 500
    assert span.name == "GET /v1/boom"
    assert dict(span.attributes or {})["http.status_code"] == 500
    assert span.status.status_code is StatusCode.ERROR
    assert any(
        e.name == "exception" and dict(e.attributes or {})["exception.type"] == "RuntimeError"
        for e in span.events
    )
    # The catch-all handler answers inside the span: the answer names its trace.
    assert answer.json()["trace_id"] == format(span.context.trace_id, "032x")


def test_health_probes_are_not_traced(client: TestClient, exporter: InMemorySpanExporter) -> None:
    assert client.get("/healthz").status_code == 200
    assert [s for s in exporter.get_finished_spans() if s.kind == SpanKind.SERVER] == []
