"""GOVPROJ_OTEL_SAMPLE_RATIO: how many requests are traced, and a traced caller stays traced."""

from __future__ import annotations

import pytest
from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags
from pydantic import ValidationError

from libs.common.settings import CommonSettings
from libs.common.telemetry import tracer_provider


def recorded(ratio: float | None, *, parent_sampled: bool | None = None) -> bool:
    tracer = tracer_provider("registry", None, sample_ratio=ratio).get_tracer("test")
    context = None
    if parent_sampled is not None:
        parent = SpanContext(
            trace_id=0x1F2E3D4C5B6A79880123456789ABCDEF,
            span_id=0x0123456789ABCDEF,
            is_remote=True,
            trace_flags=TraceFlags(TraceFlags.SAMPLED if parent_sampled else 0),
        )
        context = trace.set_span_in_context(NonRecordingSpan(parent))
    with tracer.start_as_current_span("GET /v1/projects/{id}", context=context) as span:
        return span.is_recording()


def test_every_request_is_traced_by_default() -> None:
    assert recorded(None)


def test_a_zero_ratio_traces_no_request_of_its_own() -> None:
    assert not any(recorded(0.0) for _ in range(20))


def test_a_caller_that_traced_its_request_is_traced_whatever_the_ratio() -> None:
    assert recorded(0.0, parent_sampled=True)
    assert not recorded(1.0, parent_sampled=False)


def test_the_ratio_is_read_from_the_environment_and_bounded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GOVPROJ_OTEL_SAMPLE_RATIO", "0.25")
    assert CommonSettings().otel_sample_ratio == 0.25
    monkeypatch.setenv("GOVPROJ_OTEL_SAMPLE_RATIO", "1.5")
    with pytest.raises(ValidationError):
        CommonSettings()


@pytest.mark.parametrize("service", ["registry", "approval", "budget", "acceptance", "archive"])
def test_every_service_app_traces_its_requests(service: str) -> None:
    # Middleware added from the lifespan comes too late (Starlette builds its stack on the
    # first ASGI call), which once left every service without a single HTTP span.
    from importlib import import_module

    from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

    app = import_module(f"services.{service}.app").create_app(check_schema=False)
    layer, layers = app.build_middleware_stack(), []
    while layer is not None:
        layers.append(type(layer))
        layer = getattr(layer, "app", None)
    assert OpenTelemetryMiddleware in layers
