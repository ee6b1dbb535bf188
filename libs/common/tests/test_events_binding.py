"""The envelope by the CloudEvents NATS binding, checked against the official Python SDK.

The SDK (PyPI ``cloudevents``) has no NATS binding; its HTTP binding applies the
header rules the NATS binding adopts (percent-encoded values, ``ce-`` names,
case-insensitive lookup), so it is the oracle both ways: what GovProj sends
parses in the SDK, and what a finance system builds with the SDK parses here.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from cloudevents.core.bindings import http as ce_http
from cloudevents.core.v1.event import CloudEvent

from libs.common.events import (
    MalformedEvent,
    _envelope,
    configure_header_encoding,
    finance_subject,
    from_nats,
    make_event,
    to_nats,
)
from libs.contracts import contract_for

TENANT = "445322"
USER = {
    "type": "user",
    "id": "u-50%-off",  # a literal % must survive both directions
    "name": "李四（郁南县财政局）",
    "tenant": TENANT,
    "roles": ["finance_officer"],
}


def _event() -> Any:
    return make_event(
        tenant=TENANT,
        service="registry",
        aggregate="unit",
        event="created",
        data={"tenant": TENANT, "id": str(uuid.uuid4()), "name": "郁南县教育局"},
        actor=USER,
        traceparent="00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    )


def test_header_values_are_percent_encoded_printable_ascii() -> None:
    _, headers, _ = to_nats(_event())
    for name, value in headers.items():
        assert value.isascii() and value.isprintable(), name
        assert " " not in value and '"' not in value, name
    assert headers["ce-actor"].startswith("{%22type%22:%22user%22")
    assert "%25" in headers["ce-actor"]  # the % of the id, encoded


def test_a_govproj_event_parses_in_the_sdk_with_the_same_attributes() -> None:
    ev = _event()
    _, headers, payload = to_nats(ev)
    parsed = ce_http.from_binary_event(ce_http.HTTPMessage(headers=headers, body=payload))
    assert parsed.get_id() == ev.id
    assert parsed.get_type() == ev.type
    assert parsed.get_source() == ev.source
    assert parsed.get_time() == ev.time
    assert parsed.get_datacontenttype() == "application/json"
    assert parsed.get_extension("tenant") == TENANT
    assert json.loads(parsed.get_extension("actor")) == USER
    assert parsed.get_data() == ev.data


def _sdk_answer(**attributes: Any) -> CloudEvent:
    data = {
        "tenant": TENANT,
        "review_id": str(uuid.uuid4()),
        "project_id": str(uuid.uuid4()),
        "outcome": "approve",
        "approved_amount": 500_000,
        "opinion": "同意，资金 100% 由本级财政安排。",
        "answered_by": "郁南县财政局",
    }
    return CloudEvent(
        attributes={
            "id": str(uuid.uuid4()),
            "type": "finance.budget.review.answered.v1",
            "source": f"/finance/{TENANT}",
            "time": datetime.now(UTC),
            "datacontenttype": "application/json",
            "tenant": TENANT,
            "actor": json.dumps(USER, ensure_ascii=False),
            **attributes,
        },
        data=data,
    )


@pytest.mark.parametrize(
    "as_nats_binding", [False, True], ids=["content-type", "ce-datacontenttype"]
)
def test_an_answer_made_with_the_sdk_is_read_as_sent(as_nats_binding: bool) -> None:
    answer = _sdk_answer()
    message = ce_http.to_binary_event(answer)
    headers = dict(message.headers)
    if as_nats_binding:  # how the NATS binding names it; the HTTP binding uses Content-Type
        headers["ce-datacontenttype"] = headers.pop("content-type")
    ev = from_nats(finance_subject(TENANT, "review", "answered"), headers, message.body)
    assert ev.id == answer.get_id() and ev.type == answer.get_type()
    assert ev.actor == USER  # the name and the literal % included
    assert ev.time == answer.get_time()
    assert ev.data == answer.get_data()
    contract = contract_for(ev.type)
    assert contract is not None and contract.validate(ev.data) is None


def test_header_names_are_case_insensitive() -> None:
    subject, headers, payload = to_nats(_event())
    shouted = {name.upper(): value for name, value in headers.items()}
    title = {name.title(): value for name, value in headers.items()}
    assert from_nats(subject, shouted, payload) == from_nats(subject, headers, payload)
    assert from_nats(subject, title, payload) == from_nats(subject, headers, payload)


def test_the_raw_json_form_of_producers_before_the_binding_is_still_read() -> None:
    """Transition: outbox rows stored before the change are published as they were."""
    ev = _event()
    subject, headers, payload = to_nats(ev)
    legacy = {k: v for k, v in headers.items() if k != "ce-datacontenttype"}
    legacy["ce-actor"] = json.dumps(USER, ensure_ascii=False, separators=(",", ":"))
    legacy["content-type"] = "application/json"
    back = from_nats(subject, legacy, payload)
    assert back.actor == USER  # the raw % is not mistaken for an escape
    assert back == ev


def test_a_header_given_twice_under_two_cases_is_refused() -> None:
    subject, headers, payload = to_nats(_event())
    with pytest.raises(MalformedEvent, match="given twice"):
        from_nats(subject, {**headers, "CE-TYPE": headers["ce-type"]}, payload)


@pytest.mark.parametrize(
    "content_type", ["application/json; charset=utf-8", "application/vnd.govproj+json"]
)
def test_json_datacontenttypes_are_honoured(content_type: str) -> None:
    subject, headers, payload = to_nats(_event())
    ev = from_nats(subject, {**headers, "ce-datacontenttype": content_type}, payload)
    assert ev.datacontenttype == content_type


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "application/cbor"])
def test_other_datacontenttypes_are_refused(content_type: str) -> None:
    subject, headers, payload = to_nats(_event())
    with pytest.raises(MalformedEvent, match="is not JSON"):
        from_nats(subject, {**headers, "ce-datacontenttype": content_type}, payload)


@pytest.mark.parametrize(
    "value",
    [
        "2026-12-04T08:30:00Z",
        "2026-12-04t08:30:00z",
        "2026-12-04T08:30:00.123456+08:00",
        "2026-12-04T16:30:00-00:00",
    ],
)
def test_rfc3339_times_are_accepted_in_every_form_it_allows(value: str) -> None:
    subject, headers, payload = to_nats(_event())
    ev = from_nats(subject, {**headers, "ce-time": value}, payload)
    assert ev.time.tzinfo is not None


@pytest.mark.parametrize(
    "value",
    [
        "2026-12-04",  # a date
        "2026-12-04T08:30:00",  # no offset
        "2026-12-04 08:30:00Z",  # a space: ISO 8601 allows it, RFC 3339's date-time does not
        "20261204T083000Z",  # basic format
        "2026-12-04T08:30Z",  # no seconds
        "2026-12-04T08:30:00+0800",  # offset without colon
        "2026-W49-5T08:30:00Z",  # week date
    ],
)
def test_non_rfc3339_times_are_refused(value: str) -> None:
    subject, headers, payload = to_nats(_event())
    with pytest.raises(MalformedEvent, match="RFC 3339"):
        from_nats(subject, {**headers, "ce-time": value}, payload)


def test_a_value_that_is_not_percent_encoded_utf8_is_refused() -> None:
    subject, headers, payload = to_nats(_event())
    with pytest.raises(MalformedEvent, match="percent-encoded UTF-8"):
        from_nats(subject, {**headers, "ce-actor": "%FF%FE"}, payload)


def test_the_legacy_form_is_read_by_0_1_0_by_this_release_and_by_the_sdk_alike() -> None:
    """GOVPROJ_EVENTS_HEADER_ENCODING=legacy, while 0.1.0 consumers still run (a roll)."""
    ev = _event()
    subject, headers, payload = to_nats(ev, "legacy")
    raw = headers["ce-actor"]
    # 0.1.0 looked ce-actor up by its exact name and parsed it as JSON, nothing else.
    assert json.loads(raw) == USER
    # No % at all (the id's is \u0025), ASCII: percent-decoding leaves it as it is ...
    assert "%" not in raw and raw.isascii() and raw.isprintable()
    parsed = ce_http.from_binary_event(ce_http.HTTPMessage(headers=headers, body=payload))
    assert json.loads(parsed.get_extension("actor")) == USER
    # ... and this release takes it (it holds '"') as the raw form.
    assert from_nats(subject, headers, payload) == ev
    # Only ce-actor differs from the binding's form.
    _, percent, _ = to_nats(ev, "percent")
    assert {k for k in headers if headers[k] != percent[k]} == {"ce-actor"}


def test_the_encoding_is_the_binding_unless_the_operator_asks_for_legacy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ev = _event()
    monkeypatch.setattr(_envelope, "_configured", None)  # no service configured this process
    monkeypatch.delenv("GOVPROJ_EVENTS_HEADER_ENCODING", raising=False)
    assert to_nats(ev)[1]["ce-actor"].startswith("{%22type%22")
    monkeypatch.setenv("GOVPROJ_EVENTS_HEADER_ENCODING", "legacy")
    assert to_nats(ev)[1]["ce-actor"].startswith('{"type"')
    monkeypatch.setenv("GOVPROJ_EVENTS_HEADER_ENCODING", "raw")
    with pytest.raises(ValueError, match="legacy"):
        to_nats(ev)
    # A service's own setting (GOVPROJ_<SERVICE>_EVENTS_HEADER_ENCODING too) wins.
    configure_header_encoding("percent")
    assert to_nats(ev)[1]["ce-actor"].startswith("{%22type%22")
