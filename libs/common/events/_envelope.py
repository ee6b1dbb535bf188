"""The event envelope: CloudEvents 1.0 in binary mode over NATS headers.

Binary mode keeps the payload the domain's JSON data alone, and puts every
context attribute in a header so that routers, the stream's dedupe and
integrators read them without parsing the body:

=================  ===========================================================
header             meaning
=================  ===========================================================
``ce-specversion`` ``1.0``
``ce-id``          the event's UUIDv7 (also the outbox key and the inbox key)
``ce-type``        ``govproj.<service>.<aggregate>.<event>.v<N>``
``ce-source``      ``/govproj/<service>``
``ce-time``        RFC 3339, UTC
``ce-tenant``      six-digit division code (extension attribute)
``ce-actor``       who did it, compact JSON (extension attribute, see below)
``content-type``   ``application/json`` (CloudEvents ``datacontenttype``)
``traceparent``    W3C trace context, when there is one (and ``tracestate``)
``Nats-Msg-Id``    the event id again: JetStream drops a re-publish within the
                   stream's duplicate window
=================  ===========================================================

The actor travels as the ``ce-actor`` extension (JSON text) rather than inside
``data``: every event of every type names its actor the same way, the relay,
the stream and audit integrators can read it without knowing the data schema,
and the data stays the domain's own facts. ``ce-subject`` is not used: the
NATS subject already routes the event and the aggregate's id is in ``data``.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final, Literal, TypedDict

import uuid6

from libs.common.events._subjects import TENANT_RE, TOKEN_RE, subject_for, tenant_of_subject

__all__ = [
    "Actor",
    "Event",
    "MalformedEvent",
    "from_nats",
    "make_event",
    "system_actor",
    "to_nats",
    "type_for",
]

SPECVERSION: Final = "1.0"
CONTENT_TYPE: Final = "application/json"
MSG_ID_HEADER: Final = "Nats-Msg-Id"

H_SPECVERSION: Final = "ce-specversion"
H_ID: Final = "ce-id"
H_TYPE: Final = "ce-type"
H_SOURCE: Final = "ce-source"
H_TIME: Final = "ce-time"
H_TENANT: Final = "ce-tenant"
H_ACTOR: Final = "ce-actor"
H_CONTENT_TYPE: Final = "content-type"
H_TRACEPARENT: Final = "traceparent"
H_TRACESTATE: Final = "tracestate"

_TYPE_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*){3}\.v[1-9][0-9]*$")
_SOURCE_RE = re.compile(r"^/[a-z][a-z0-9_]*(/[A-Za-z0-9_.-]+)*$")
_ACTOR_TYPES: Final = frozenset({"user", "system", "external"})


class Actor(TypedDict):
    """Who caused the event. System processes name themselves (``type="system"``)."""

    type: Literal["user", "system", "external"]
    id: str
    tenant: str | None
    roles: list[str]


class MalformedEvent(ValueError):
    """A message that is not a valid platform event; ``reason`` says what is wrong."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Event:
    """One platform event (CloudEvents 1.0 context attributes plus its JSON data)."""

    id: str
    type: str
    source: str
    subject: str
    tenant: str
    time: datetime
    actor: Actor
    data: dict[str, Any]
    traceparent: str | None = None
    tracestate: str | None = None
    datacontenttype: str = field(default=CONTENT_TYPE)

    @property
    def service(self) -> str:
        """The publishing service, from the type (``govproj.<service>....``)."""
        return self.type.split(".")[1]


def type_for(service: str, aggregate: str, event: str, version: int = 1) -> str:
    """``govproj.<service>.<aggregate>.<event>.v<version>``."""
    if version < 1:
        raise ValueError("event versions start at 1")
    for name, value in (("service", service), ("aggregate", aggregate), ("event", event)):
        if not TOKEN_RE.fullmatch(value):
            raise ValueError(f"{name} must match {TOKEN_RE.pattern}, got {value!r}")
    return f"govproj.{service}.{aggregate}.{event}.v{version}"


def system_actor(name: str, tenant: str | None = None) -> Actor:
    """The actor of a system process (scheduler, importer, consumer) that names itself."""
    return {"type": "system", "id": name, "tenant": tenant, "roles": []}


def _validate_actor(raw: object) -> Actor:
    if not isinstance(raw, Mapping):
        raise MalformedEvent("actor must be an object")
    kind = raw.get("type")
    if kind not in _ACTOR_TYPES:
        raise MalformedEvent(f"actor.type must be one of {sorted(_ACTOR_TYPES)}")
    actor_id = raw.get("id")
    if not isinstance(actor_id, str) or not actor_id:
        raise MalformedEvent("actor.id must be a non-empty string")
    tenant = raw.get("tenant")
    if tenant is not None and (not isinstance(tenant, str) or not TENANT_RE.fullmatch(tenant)):
        raise MalformedEvent("actor.tenant must be a six-digit code or null")
    roles = raw.get("roles", [])
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise MalformedEvent("actor.roles must be a list of strings")
    return {"type": kind, "id": actor_id, "tenant": tenant, "roles": list(roles)}


def make_event(
    *,
    tenant: str,
    service: str,
    aggregate: str,
    event: str,
    data: Mapping[str, Any],
    actor: Mapping[str, Any],
    version: int = 1,
    traceparent: str | None = None,
    tracestate: str | None = None,
    time: datetime | None = None,
) -> Event:
    """A new event with a fresh UUIDv7 id; validates every attribute (raises ValueError)."""
    try:
        checked_actor = _validate_actor(actor)
    except MalformedEvent as exc:
        raise ValueError(exc.reason) from None
    payload = dict(data)
    # Fail at the producer, inside its transaction, rather than at the relay.
    json.dumps(payload, allow_nan=False)
    return Event(
        id=str(uuid6.uuid7()),
        type=type_for(service, aggregate, event, version),
        source=f"/govproj/{service}",
        subject=subject_for(tenant, service, aggregate, event),
        tenant=tenant,
        time=(time or datetime.now(UTC)).astimezone(UTC),
        actor=checked_actor,
        data=payload,
        traceparent=traceparent,
        tracestate=tracestate,
    )


def _format_time(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def encode_data(data: Mapping[str, Any]) -> bytes:
    """The payload bytes: compact UTF-8 JSON (Chinese text stays readable)."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def event_headers(event: Event) -> dict[str, str]:
    """The NATS headers of ``event`` (binary-mode CloudEvents plus ``Nats-Msg-Id``)."""
    headers = {
        H_SPECVERSION: SPECVERSION,
        H_ID: event.id,
        H_TYPE: event.type,
        H_SOURCE: event.source,
        H_TIME: _format_time(event.time),
        H_TENANT: event.tenant,
        H_ACTOR: json.dumps(event.actor, ensure_ascii=False, separators=(",", ":")),
        H_CONTENT_TYPE: event.datacontenttype,
        MSG_ID_HEADER: event.id,
    }
    if event.traceparent:
        headers[H_TRACEPARENT] = event.traceparent
    if event.tracestate:
        headers[H_TRACESTATE] = event.tracestate
    return headers


def to_nats(event: Event) -> tuple[str, dict[str, str], bytes]:
    """``(subject, headers, payload)`` to hand to ``js.publish``."""
    return event.subject, event_headers(event), encode_data(event.data)


def _required(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name)
    if not value:
        raise MalformedEvent(f"missing header {name}")
    return value


def from_nats(subject: str, headers: Mapping[str, str] | None, payload: bytes) -> Event:
    """Parse and validate a received message; raises :class:`MalformedEvent` with the reason.

    Only structure is checked here; whether the subject's tenant agrees with
    the event's is the consumer's check (:func:`tenant_mismatch`).
    """
    if not headers:
        raise MalformedEvent("no headers: not a binary-mode CloudEvent")
    if headers.get(H_SPECVERSION) != SPECVERSION:
        raise MalformedEvent(f"{H_SPECVERSION} must be {SPECVERSION}")
    event_id = _required(headers, H_ID)
    try:
        uuid.UUID(event_id)
    except ValueError:
        raise MalformedEvent(f"{H_ID} is not a UUID") from None
    msg_id = headers.get(MSG_ID_HEADER)
    if msg_id is not None and msg_id != event_id:
        raise MalformedEvent(f"{MSG_ID_HEADER} differs from {H_ID}")
    event_type = _required(headers, H_TYPE)
    if not _TYPE_RE.fullmatch(event_type):
        raise MalformedEvent(f"{H_TYPE} {event_type!r} is not <ns>.<svc>.<aggregate>.<event>.v<N>")
    source = _required(headers, H_SOURCE)
    if not _SOURCE_RE.fullmatch(source):
        raise MalformedEvent(f"{H_SOURCE} {source!r} is not a path like /govproj/<service>")
    try:
        time = datetime.fromisoformat(_required(headers, H_TIME))
    except ValueError:
        raise MalformedEvent(f"{H_TIME} is not RFC 3339") from None
    if time.tzinfo is None:
        raise MalformedEvent(f"{H_TIME} has no offset")
    tenant = _required(headers, H_TENANT)
    if not TENANT_RE.fullmatch(tenant):
        raise MalformedEvent(f"{H_TENANT} must be a six-digit division code")
    try:
        actor = _validate_actor(json.loads(_required(headers, H_ACTOR)))
    except json.JSONDecodeError:
        raise MalformedEvent(f"{H_ACTOR} is not JSON") from None
    content_type = headers.get(H_CONTENT_TYPE, CONTENT_TYPE)
    if content_type.split(";")[0].strip() != CONTENT_TYPE:
        raise MalformedEvent(f"{H_CONTENT_TYPE} must be {CONTENT_TYPE}")
    if tenant_of_subject(subject) is None:
        raise MalformedEvent(f"subject {subject!r} carries no tenant")
    try:
        data = json.loads(payload)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise MalformedEvent("payload is not JSON") from None
    if not isinstance(data, dict):
        raise MalformedEvent("payload must be a JSON object")
    return Event(
        id=event_id,
        type=event_type,
        source=source,
        subject=subject,
        tenant=tenant,
        time=time.astimezone(UTC),
        actor=actor,
        data=data,
        traceparent=headers.get(H_TRACEPARENT),
        tracestate=headers.get(H_TRACESTATE),
        datacontenttype=CONTENT_TYPE,
    )


def tenant_mismatch(event: Event) -> str | None:
    """Why the event's tenants disagree, or None when subject, header and data agree.

    A producer bug or a forged message could address one tenant and carry
    another's data; applying it would write across the tenant boundary.
    """
    subject_tenant = tenant_of_subject(event.subject)
    data_tenant = event.data.get("tenant", event.tenant)
    if subject_tenant != event.tenant:
        return f"subject tenant {subject_tenant} differs from ce-tenant {event.tenant}"
    if data_tenant != event.tenant:
        return f"data.tenant {data_tenant!r} differs from ce-tenant {event.tenant}"
    return None
