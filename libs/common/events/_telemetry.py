"""W3C trace context across NATS: a no-op unless a tracer provider is configured."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager, nullcontext
from contextvars import ContextVar

from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.trace import Span, SpanKind

from libs.common.events._envelope import H_TRACEPARENT, H_TRACESTATE, Event

__all__ = ["consume_span", "consume_spans", "consumed"]

_tracer = trace.get_tracer("govproj.events")


#: The spans of the events a batch handler is applying, by event id.
_BATCH_SPANS: ContextVar[dict[str, Span] | None] = ContextVar("govproj_batch_spans", default=None)


@contextmanager
def consume_span(event: Event, consumer: str) -> Iterator[Span]:
    """A CONSUMER span that continues the producer's trace (from ``traceparent``)."""
    name, parent, attributes = _span_of(event, consumer)
    with _tracer.start_as_current_span(
        name, context=parent, kind=SpanKind.CONSUMER, attributes=attributes
    ) as span:
        yield span


@contextmanager
def consume_spans(events: Sequence[Event], consumer: str) -> Iterator[None]:
    """One CONSUMER span per event of a batch, all open while the batch handler runs;
    :func:`consumed` makes an event's span current while the handler emits its events."""
    with ExitStack() as stack:
        spans: dict[str, Span] = {}
        for event in events:
            name, parent, attributes = _span_of(event, consumer)
            span = _tracer.start_span(
                name, context=parent, kind=SpanKind.CONSUMER, attributes=attributes
            )
            spans[event.id] = stack.enter_context(span)
        token = _BATCH_SPANS.set(spans)
        try:
            yield
        finally:
            _BATCH_SPANS.reset(token)


def consumed(event: Event) -> AbstractContextManager[object]:
    """Inside a batch handler: ``event``'s span as the current one (the events emitted
    meanwhile continue its trace, as with one handler call per event); else nothing."""
    span = (_BATCH_SPANS.get() or {}).get(event.id)
    return nullcontext() if span is None else trace.use_span(span, end_on_exit=False)


def _span_of(event: Event, consumer: str) -> tuple[str, Context, dict[str, str]]:
    """The name, parent context (the producer's trace) and attributes of ``event``'s span."""
    carrier = {}
    if event.traceparent:
        carrier[H_TRACEPARENT] = event.traceparent
    if event.tracestate:
        carrier[H_TRACESTATE] = event.tracestate
    attributes = {
        "messaging.system": "nats",
        "messaging.destination.name": event.subject,
        "messaging.message.id": event.id,
        "messaging.consumer.group.name": consumer,
        "govproj.tenant": event.tenant,
    }
    return f"{event.type} process", propagate.extract(carrier), attributes
