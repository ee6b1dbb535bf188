"""OpenTelemetry for FastAPI, SQLAlchemy and NATS, and JSON logs that carry the trace id."""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from opentelemetry.trace import Status, StatusCode
from sqlalchemy import event

__all__ = [
    "JsonLogFormatter",
    "configure_logging",
    "configure_tracing",
    "instrument_http",
    "instrument_sql",
    "statement_span",
    "tracer_provider",
]

_configured = False


class JsonLogFormatter(logging.Formatter):
    """One JSON object per line, with the current trace and span ids."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        span = trace.get_current_span().get_span_context()
        body: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if span.is_valid:
            body["trace_id"] = format(span.trace_id, "032x")
            body["span_id"] = format(span.span_id, "016x")
        elif isinstance(remembered := getattr(record, "trace_id", None), str):
            # Logged outside the request's span (the catch-all error handler).
            body["trace_id"] = remembered
        if record.exc_info:
            body["exception"] = self.formatException(record.exc_info)
        return json.dumps(body, ensure_ascii=False)


def configure_logging(service: str, *, json_logs: bool = True, level: int = logging.INFO) -> None:
    """Route the root logger to stderr, as JSON unless asked otherwise."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonLogFormatter(service)
        if json_logs
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


def configure_tracing(
    service: str, otlp_endpoint: str | None, *, sample_ratio: float | None = None
) -> None:
    """Install :func:`tracer_provider` once per process."""
    global _configured
    if _configured:
        return
    trace.set_tracer_provider(tracer_provider(service, otlp_endpoint, sample_ratio=sample_ratio))
    _configured = True


def tracer_provider(
    service: str, otlp_endpoint: str | None, *, sample_ratio: float | None = None
) -> TracerProvider:
    """The service's tracer provider; it exports over OTLP when an endpoint is set.

    ``sample_ratio`` (``GOVPROJ_OTEL_SAMPLE_RATIO``) traces that share of the
    requests that arrive without a trace, and every request whose caller traced
    it; without it the SDK reads the standard ``OTEL_TRACES_SAMPLER``. A request
    that is not sampled costs a fraction of a recorded one (docs/benchmarks.md).
    """
    sampler = None if sample_ratio is None else ParentBased(TraceIdRatioBased(sample_ratio))
    provider = TracerProvider(
        resource=Resource.create({"service.name": f"govproj-{service}"}), sampler=sampler
    )
    if otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=otlp_endpoint)))
    return provider


def instrument_http(app: Any) -> None:
    """Trace HTTP requests: one server span a request (health probes left out).

    Called where the app is built: Starlette builds its middleware stack on the
    first ASGI call (the lifespan's), so middleware added from the lifespan
    never runs and no request was ever traced. The span is named from the route
    the router matched rather than by matching every route again
    (:mod:`libs.common.http_spans`).
    """
    from libs.common.http_spans import instrument_routes

    # One span a request: not also an "http send" span per response message and an
    # "http receive" per body chunk, which say nothing the server span does not
    # (three spans a GET otherwise, each one recorded and ended).
    instrument_routes(app, excluded_urls="healthz,readyz", exclude_spans=["receive", "send"])


_LEADING_COMMENT = re.compile(r"^/\*.*?\*/")


def _operation(statement: str) -> str:
    """The span's name: the statement's first word (SELECT, INSERT …) past a leading comment."""
    if statement.startswith("/*"):
        statement = _LEADING_COMMENT.sub("", statement)
    words = statement.split(None, 1)
    return words[0] if words else "postgresql"


class _StatementSpans:
    """One CLIENT span per statement an engine sends, as OpenTelemetry's SQLAlchemy
    instrumentation records it (same name and attributes), at a fraction of the cost.

    The instrumentation rebuilds the connection's attributes, parses the statement
    twice and sets each attribute under its own lock for every statement, sampled
    or not, and opens a "connect" span on every pool checkout: ~10 % of the CPU of
    an authenticated read (docs/benchmarks.md, "HTTP path"). Here the engine's
    attributes are computed once and a statement of a trace that is not sampled
    costs only the sampler's decision.
    """

    def __init__(
        self, engine: Any, provider: trace.TracerProvider | None = None, *, roots: bool = True
    ) -> None:
        self.roots = roots
        url = engine.url
        known = {
            "net.peer.name": url.host,
            "net.peer.port": url.port,
            "db.name": url.database,
            "db.user": url.username,
        }
        self.fixed: dict[str, Any] = {k: v for k, v in known.items() if v}
        self.fixed["db.system"] = "postgresql"
        self.tracer = trace.get_tracer(
            "opentelemetry.instrumentation.sqlalchemy", tracer_provider=provider
        )

    def start(self, statement: str) -> trace.Span | None:
        """The span of ``statement``, started; None when this engine records none here."""
        if not self.roots and not trace.get_current_span().is_recording():
            return None  # not inside a recorded trace, and this engine starts none of its own
        operation = _operation(statement)
        span = self.tracer.start_span(operation, kind=trace.SpanKind.CLIENT)
        if span.is_recording():
            span.set_attributes(
                {**self.fixed, "db.statement": statement, "db.operation": operation}
            )
        return span

    def before(
        self, conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool
    ) -> None:
        span = self.start(statement)
        if span is not None:
            context._govproj_span = span

    @staticmethod
    def after(
        conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool
    ) -> None:
        span = getattr(context, "_govproj_span", None)
        if span is not None:
            span.end()

    @staticmethod
    def failed(exception_context: Any) -> None:
        span = getattr(exception_context.execution_context, "_govproj_span", None)
        if span is not None:
            _end_failed(span, exception_context.original_exception)


def _end_failed(span: trace.Span, error: BaseException) -> None:
    if span.is_recording():
        span.set_status(Status(StatusCode.ERROR, str(error)))
    span.end()


@contextmanager
def statement_span(engine: Any, statement: str) -> Iterator[None]:
    """The span of ``statement`` sent on a connection of ``engine`` past SQLAlchemy's
    execution (libs.common.db.PooledReads): the one :func:`instrument_sql` records for
    the statements SQLAlchemy sends, when it traces ``engine``."""
    spans: _StatementSpans | None = getattr(
        getattr(engine, "sync_engine", engine), "_govproj_spans", None
    )
    span = None if spans is None else spans.start(statement)
    if span is None:
        yield
        return
    try:
        yield
    except BaseException as error:
        _end_failed(span, error)
        raise
    span.end()


def instrument_sql(
    engines: list[Any], *, provider: trace.TracerProvider | None = None, roots: bool = True
) -> None:
    """Trace the SQL statements of ``engines``: a CLIENT span each (:class:`_StatementSpans`).

    ``provider`` is the process's tracer provider unless given (tests pass their own).
    ``roots=False`` records a statement only inside a recorded (sampled) span and never
    starts a trace of its own: the outbox relay's engine, whose polls, several a second
    and mostly finding nothing, would otherwise each be a one-span trace.
    """
    for engine in engines:
        sync = getattr(engine, "sync_engine", engine)
        if getattr(sync, "_govproj_spans", None) is not None:
            continue
        spans = _StatementSpans(sync, provider, roots=roots)
        event.listen(sync, "before_cursor_execute", spans.before)
        event.listen(sync, "after_cursor_execute", spans.after)
        event.listen(sync, "handle_error", spans.failed)
        sync._govproj_spans = spans  # also for statement_span
