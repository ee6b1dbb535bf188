"""A batch handler's events keep their traces: each event's consumer span continues its
producer's trace, and what the handler emits under ``consumed(event)`` continues that span."""

from __future__ import annotations

from opentelemetry import propagate, trace

from libs.common.events import consumed, make_event, system_actor
from libs.common.events._telemetry import consume_spans
from libs.common.testing.tracing import recorded_spans


def _traceparent() -> str:
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier["traceparent"]


def test_each_event_of_a_batch_is_handled_under_its_own_consumer_span() -> None:
    exporter = recorded_spans()
    tracer = trace.get_tracer("test")
    events, producers = [], []
    for request in ("POST /a", "POST /b"):
        with tracer.start_as_current_span(request) as span:
            producers.append(format(span.get_span_context().trace_id, "032x"))
            events.append(
                make_event(
                    tenant="445322",
                    service="registry",
                    aggregate="project",
                    event="submitted",
                    data={"tenant": "445322"},
                    actor=system_actor("test", "445322"),
                    traceparent=_traceparent(),
                )
            )
    emitted: list[str] = []
    with consume_spans(events, "approval"):
        for event in events:
            with consumed(event):
                emitted.append(_traceparent())
    spans = {
        s.attributes["messaging.message.id"]: s
        for s in exporter.get_finished_spans()
        if s.kind == trace.SpanKind.CONSUMER and s.attributes is not None
    }
    for event, producer, parent in zip(events, producers, emitted, strict=True):
        consumer = spans[event.id].get_span_context()
        assert consumer is not None and format(consumer.trace_id, "032x") == producer
        # What the handler emitted for this event names this event's span as its parent.
        assert parent.split("-")[1:3] == [producer, format(consumer.span_id, "016x")]
    # Outside a batch, consumed() changes nothing.
    with consumed(events[0]):
        assert not trace.get_current_span().get_span_context().is_valid
