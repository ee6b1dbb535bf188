"""Spans recorded in memory for tests that follow a trace across the process's global tracer.

OpenTelemetry lets a process set its global tracer provider once; a second
``set_tracer_provider`` is ignored with a warning. Two tests that each set their own
provider therefore pass alone and fail together (the second records nothing). Every
test that reads spans of the global provider takes its exporter from here.
"""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

__all__ = ["recorded_spans"]


def _sdk_provider() -> TracerProvider:
    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        return current
    provider = TracerProvider()
    trace.set_tracer_provider(provider)
    return provider


def recorded_spans() -> InMemorySpanExporter:
    """An exporter that receives, from now on, every span the process's SDK provider ends."""
    exporter = InMemorySpanExporter()
    _sdk_provider().add_span_processor(SimpleSpanProcessor(exporter))
    return exporter
