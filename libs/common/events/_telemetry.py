"""W3C trace context across NATS: a no-op unless a tracer provider is configured."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from opentelemetry import propagate, trace
from opentelemetry.trace import Span, SpanKind

from libs.common.events._envelope import H_TRACEPARENT, H_TRACESTATE, Event

__all__ = ["consume_span"]

_tracer = trace.get_tracer("govproj.events")


@contextmanager
def consume_span(event: Event, consumer: str) -> Iterator[Span]:
    """A CONSUMER span that continues the producer's trace (from ``traceparent``)."""
    carrier = {}
    if event.traceparent:
        carrier[H_TRACEPARENT] = event.traceparent
    if event.tracestate:
        carrier[H_TRACESTATE] = event.tracestate
    parent = propagate.extract(carrier)
    with _tracer.start_as_current_span(
        f"{event.type} process",
        context=parent,
        kind=SpanKind.CONSUMER,
        attributes={
            "messaging.system": "nats",
            "messaging.destination.name": event.subject,
            "messaging.message.id": event.id,
            "messaging.consumer.group.name": consumer,
            "govproj.tenant": event.tenant,
        },
    ) as span:
        yield span
