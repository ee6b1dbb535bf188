"""Each SQL statement of a traced request is a CLIENT span named by its operation,
with the statement and the database it went to; an unsampled request records none."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from opentelemetry.trace import StatusCode
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from libs.common.db import create_engine
from libs.common.telemetry import instrument_sql
from libs.common.testing.pytest_plugin import DatabaseUrls


@pytest.fixture
async def engine(evdb: DatabaseUrls) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(evdb.app, pool_size=2)
    yield engine
    await engine.dispose()


def traced(
    engine: AsyncEngine, ratio: float = 1.0, *, roots: bool = True
) -> tuple[TracerProvider, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider(sampler=ParentBased(TraceIdRatioBased(ratio)))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    instrument_sql([engine], provider=provider, roots=roots)
    return provider, exporter


async def test_a_statement_is_a_client_span_of_the_request(
    engine: AsyncEngine, evdb: DatabaseUrls
) -> None:
    provider, exporter = traced(engine)
    with provider.get_tracer("test").start_as_current_span("GET /v1/projects/{id}") as request:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
            await conn.execute(text("/* a comment */ select CAST(:n AS int)"), {"n": 2})
    sql = [s for s in exporter.get_finished_spans() if s.kind == trace.SpanKind.CLIENT]
    assert [s.name for s in sql] == ["SELECT", "select"]
    url = engine.url
    for span in sql:
        assert span.parent is not None
        assert span.parent.span_id == request.get_span_context().span_id
        attrs = dict(span.attributes or {})
        assert attrs["db.system"] == "postgresql"
        assert attrs["db.operation"] == span.name
        assert (attrs["db.name"], attrs["db.user"]) == (url.database, url.username)
        assert (attrs["net.peer.name"], attrs["net.peer.port"]) == (url.host, url.port)
    assert dict(sql[0].attributes or {})["db.statement"] == "SELECT 1"
    assert "a comment" in str(dict(sql[1].attributes or {})["db.statement"])


async def test_a_failed_statement_ends_its_span_as_an_error(engine: AsyncEngine) -> None:
    provider, exporter = traced(engine)
    with provider.get_tracer("test").start_as_current_span("POST /v1/projects"):
        async with engine.connect() as conn:
            with pytest.raises(DBAPIError):
                await conn.execute(text("SELECT * FROM no_such_table"))
    (failed,) = [s for s in exporter.get_finished_spans() if s.kind == trace.SpanKind.CLIENT]
    assert failed.status.status_code == StatusCode.ERROR
    assert "no_such_table" in (failed.status.description or "")


async def test_a_request_that_is_not_sampled_records_no_statement(engine: AsyncEngine) -> None:
    provider, exporter = traced(engine, ratio=0.0)
    with provider.get_tracer("test").start_as_current_span("GET /v1/projects/{id}") as request:
        assert not request.is_recording()
        async with engine.connect() as conn:
            assert await conn.scalar(text("SELECT 3")) == 3
    assert exporter.get_finished_spans() == ()


async def test_an_engine_without_roots_makes_no_trace_of_its_own(engine: AsyncEngine) -> None:
    """The relay's engine: a poll outside any trace is no trace, even with every trace sampled,
    while a statement inside a recorded span is still its child."""
    provider, exporter = traced(engine, roots=False)
    async with engine.connect() as conn:
        assert await conn.scalar(text("SELECT 4")) == 4
    assert exporter.get_finished_spans() == ()
    with provider.get_tracer("test").start_as_current_span("relay batch") as batch:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 5"))
    (statement,) = [s for s in exporter.get_finished_spans() if s.kind == trace.SpanKind.CLIENT]
    assert statement.parent is not None
    assert statement.parent.span_id == batch.get_span_context().span_id


async def test_an_engine_with_roots_traces_a_statement_outside_a_request(
    engine: AsyncEngine,
) -> None:
    _, exporter = traced(engine)
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 6"))
    (statement,) = exporter.get_finished_spans()
    assert statement.parent is None
