"""The envelope and subjects: pure functions, no infrastructure."""

from __future__ import annotations

import json
import uuid
from urllib.parse import unquote

import pytest

from libs.common.events import (
    MalformedEvent,
    from_nats,
    make_event,
    subject_for,
    system_actor,
    tenant_mismatch,
    tenant_of_subject,
    to_nats,
)
from libs.common.events._subjects import audit_subject, finance_subject

ACTOR = {"type": "user", "id": "u-1", "tenant": "445322", "roles": ["unit_officer"]}


def _event(**over: object):  # type: ignore[no-untyped-def]
    kw: dict[str, object] = {
        "tenant": "445322",
        "service": "approval",
        "aggregate": "project",
        "event": "approved",
        "data": {"project_id": "p-1", "amount": 600000, "备注": "县政务和数据局"},
        "actor": ACTOR,
    }
    kw.update(over)
    return make_event(**kw)  # type: ignore[arg-type]


def test_event_round_trips_through_nats_headers() -> None:
    ev = _event(traceparent="00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
    subject, headers, payload = to_nats(ev)
    assert subject == "govproj.445322.approval.project.approved"
    assert headers["Nats-Msg-Id"] == headers["ce-id"] == ev.id
    assert uuid.UUID(ev.id).version == 7
    assert headers["ce-type"] == "govproj.approval.project.approved.v1"
    assert headers["ce-source"] == "/govproj/approval"
    assert headers["ce-time"].endswith("Z")
    assert json.loads(unquote(headers["ce-actor"])) == ACTOR
    assert headers["ce-datacontenttype"] == "application/json"
    assert "content-type" not in headers
    assert "县政务和数据局".encode() in payload  # readable UTF-8, not \\u escapes
    assert from_nats(subject, headers, payload) == ev


def test_versioned_type_and_system_actor() -> None:
    ev = _event(version=2, actor=system_actor("approval-deadline-scheduler", "445322"))
    assert ev.type.endswith(".v2")
    assert ev.actor["type"] == "system"


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda h: h.pop("ce-id"), "missing header ce-id"),
        (lambda h: h.update({"ce-specversion": "0.3"}), "ce-specversion"),
        (lambda h: h.update({"ce-id": "not-a-uuid"}), "not a UUID"),
        (lambda h: h.update({"Nats-Msg-Id": str(uuid.uuid4())}), "Nats-Msg-Id differs"),
        (lambda h: h.update({"ce-type": "approved"}), "ce-type"),
        (lambda h: h.update({"ce-tenant": "44532"}), "six-digit"),
        (lambda h: h.update({"ce-actor": "{"}), "ce-actor is not JSON"),
        (lambda h: h.update({"ce-actor": '{"type":"robot","id":"x"}'}), "actor.type"),
        (lambda h: h.update({"ce-time": "yesterday"}), "RFC 3339"),
        (lambda h: h.update({"ce-datacontenttype": "text/plain"}), "ce-datacontenttype"),
    ],
)
def test_malformed_headers_say_why(mutate, reason) -> None:  # type: ignore[no-untyped-def]
    subject, headers, payload = to_nats(_event())
    mutate(headers)
    with pytest.raises(MalformedEvent) as err:
        from_nats(subject, headers, payload)
    assert reason in err.value.reason


def test_payload_must_be_a_json_object() -> None:
    subject, headers, _ = to_nats(_event())
    with pytest.raises(MalformedEvent, match="not JSON"):
        from_nats(subject, headers, b"{not json")
    with pytest.raises(MalformedEvent, match="JSON object"):
        from_nats(subject, headers, b"[1, 2]")
    with pytest.raises(MalformedEvent, match="no headers"):
        from_nats(subject, None, b"{}")


def test_tenant_mismatch_between_subject_header_and_data() -> None:
    ev = _event()
    assert tenant_mismatch(ev) is None
    subject, headers, payload = to_nats(ev)
    other = from_nats(subject.replace("445322", "445381"), headers, payload)
    assert "subject tenant 445381" in (tenant_mismatch(other) or "")
    forged = _event(data={"tenant": "445381"})
    assert "data.tenant" in (tenant_mismatch(forged) or "")


def test_every_event_names_a_valid_actor() -> None:
    with pytest.raises(ValueError, match=r"actor\.id"):
        _event(actor={"type": "user", "id": "", "tenant": None, "roles": []})
    with pytest.raises(ValueError, match=r"actor\.type"):
        _event(actor={"id": "x"})


def test_subjects_and_their_tenant() -> None:
    assert subject_for("445322", "registry", "project", "submitted") == (
        "govproj.445322.registry.project.submitted"
    )
    assert finance_subject("445322", "budget", "arranged") == "finance.445322.budget.arranged"
    assert audit_subject("445322", "project", "audited") == "audit.445322.project.audited"
    assert tenant_of_subject("finance.445322.budget.arranged") == "445322"
    assert tenant_of_subject("govproj.x.registry.project.submitted") is None
    assert tenant_of_subject("other.445322.a.b") is None
    with pytest.raises(ValueError):
        subject_for("445322", "registry", "project.*", "submitted")
    with pytest.raises(ValueError):
        subject_for("4453", "registry", "project", "submitted")
