"""Each request's HTTP server span is named after the route template it was answered by,
with the attributes the OpenTelemetry instrumentation gives it, whatever the nesting of
routers; a request no route matched, a failure and the health probes as before."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from libs.common.errors import install_problem_handlers
from libs.common.telemetry import instrument_http
from libs.common.testing.tracing import recorded_spans


def service_like_app() -> FastAPI:
    """Routers as the services nest them (an aggregate's ``/v1`` router in the service's
    router in the app), one router included under two prefixes, and a failing route."""
    app = FastAPI()
    install_problem_handlers(app)
    instrument_http(app)

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


def server_span(exporter: InMemorySpanExporter) -> ReadableSpan:
    spans = [s for s in exporter.get_finished_spans() if s.kind == SpanKind.SERVER]
    assert len(spans) == 1, [s.name for s in spans]
    exporter.clear()
    return spans[0]


def test_a_span_is_named_after_its_route_template_with_the_request_attributes(
    client: TestClient, exporter: InMemorySpanExporter
) -> None:
    assert client.get("/v1/projects/42?x=1").status_code == 200
    span = server_span(exporter)
    assert span.name == "GET /v1/projects/{project_id}"
    attrs = dict(span.attributes or {})
    assert attrs["http.route"] == "/v1/projects/{project_id}"
    assert attrs["http.method"] == "GET"
    assert attrs["http.status_code"] == 200
    assert attrs["http.target"] == "/v1/projects/42"
    assert attrs["http.scheme"] == "http"
    assert "http.url" in attrs and "net.host.port" in attrs
    assert span.status.status_code is not StatusCode.ERROR

    assert client.post("/v1/policy/evaluate").status_code == 200
    assert server_span(exporter).name == "POST /v1/policy/evaluate"


def test_a_router_included_twice_names_each_prefix(
    client: TestClient, exporter: InMemorySpanExporter
) -> None:
    client.get("/a/items/1")
    assert server_span(exporter).name == "GET /a/items/{n}"
    client.get("/b/items/2")
    span = server_span(exporter)
    assert span.name == "GET /b/items/{n}"
    assert dict(span.attributes or {})["http.route"] == "/b/items/{n}"


def test_a_wrong_method_names_the_route_and_no_route_the_method_alone(
    client: TestClient, exporter: InMemorySpanExporter
) -> None:
    assert client.get("/v1/policy/evaluate").status_code == 405
    span = server_span(exporter)
    assert span.name == "GET /v1/policy/evaluate"
    assert dict(span.attributes or {})["http.status_code"] == 405

    assert client.get("/v1/nowhere").status_code == 404
    span = server_span(exporter)
    assert span.name == "GET"
    assert "http.route" not in dict(span.attributes or {})


def test_a_failure_is_answered_500_inside_its_span_with_the_exception(
    client: TestClient, exporter: InMemorySpanExporter
) -> None:
    r = client.get("/v1/boom")
    assert r.status_code == 500
    span = server_span(exporter)
    assert span.name == "GET /v1/boom"
    assert dict(span.attributes or {})["http.status_code"] == 500
    assert span.status.status_code is StatusCode.ERROR
    assert r.json()["trace_id"] == format(span.context.trace_id, "032x")
    assert any(
        e.name == "exception" and dict(e.attributes or {})["exception.type"] == "RuntimeError"
        for e in span.events
    )


def test_health_probes_are_not_traced(client: TestClient, exporter: InMemorySpanExporter) -> None:
    assert client.get("/healthz").status_code == 200
    assert [s for s in exporter.get_finished_spans() if s.kind == SpanKind.SERVER] == []
