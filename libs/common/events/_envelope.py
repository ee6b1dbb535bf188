"""The event envelope: CloudEvents 1.0 in binary mode over NATS headers.

Binary mode keeps the payload the domain's JSON data alone, and puts every
context attribute in a header so that routers, the stream's dedupe and
integrators read them without parsing the body:

======================  ======================================================
header                  meaning
======================  ======================================================
``ce-specversion``      ``1.0``
``ce-id``               the event's UUIDv7 (also the outbox key and the inbox key)
``ce-type``             ``govproj.<service>.<aggregate>.<event>.v<N>``
``ce-source``           ``/govproj/<service>``
``ce-time``             RFC 3339, UTC
``ce-tenant``           six-digit division code (extension attribute)
``ce-actor``            who did it, compact JSON (extension attribute, see below)
``ce-datacontenttype``  ``application/json``
``traceparent``         W3C trace context, when there is one (and ``tracestate``)
``Nats-Msg-Id``         the event id again: JetStream drops a re-publish within
                        the stream's duplicate window
======================  ======================================================

The binding followed is the CloudEvents NATS Protocol Binding 1.0.3 (binary
content mode), whose header rules are the HTTP binding's (section 3.1.3.2):
every ``ce-`` value is percent-encoded on send (UTF-8, then every octet
outside printable ASCII, and space, ``"`` and ``%``) and decoded on receipt;
header names are matched case-insensitively; ``datacontenttype`` travels as
``ce-datacontenttype``.

Rolling upgrade from 0.1.0: its consumers read ``ce-actor`` as raw JSON and
dead-letter the encoded form. While old and new replicas run side by side the
new release is started with ``GOVPROJ_EVENTS_HEADER_ENCODING=legacy`` and
sends ``ce-actor`` in a form both read: JSON with every non-ASCII character
and ``%`` as a ``\\uXXXX`` escape. It holds no ``%``, so percent-decoding (what
the binding's receivers, the SDK included, do) leaves it unchanged, and it
holds ``"``, so this release's receivers take it as the raw form. Once the
last old replica is gone the operator sets ``percent`` (the default).

Transition (ADR 0004): producers before this change sent ``ce-actor`` as raw
JSON and ``content-type`` instead of ``ce-datacontenttype``, and outbox rows
written then are published as they were stored. A value that holds a
character the encoding never produces (``"``, space, anything outside
printable ASCII) is therefore read as the old raw form; ``content-type`` is
read when ``ce-datacontenttype`` is absent. Both go once every outbox row and
the finance system send the encoded form.

The actor travels as the ``ce-actor`` extension (JSON text) rather than inside
``data``: every event of every type names its actor the same way, the relay,
the stream and audit integrators can read it without knowing the data schema,
and the data stays the domain's own facts. ``ce-subject`` is not used: the
NATS subject already routes the event and the aggregate's id is in ``data``.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final, Literal, NotRequired, TypedDict
from urllib.parse import quote, unquote

import uuid6

from libs.common.events._subjects import TENANT_RE, TOKEN_RE, subject_for, tenant_of_subject

__all__ = [
    "HEADER_ENCODINGS",
    "Actor",
    "Event",
    "HeaderEncoding",
    "MalformedEvent",
    "configure_header_encoding",
    "from_nats",
    "header_encoding",
    "make_event",
    "new_event_id",
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
H_DATACONTENTTYPE: Final = "ce-datacontenttype"
# What producers sent before the binding's header was adopted (read, never sent).
H_CONTENT_TYPE: Final = "content-type"
H_TRACEPARENT: Final = "traceparent"
H_TRACESTATE: Final = "tracestate"

_TYPE_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*){3}\.v[1-9][0-9]*$")
# RFC 3339 section 5.6 date-time; "T" and "Z" may be lowercase (section 5.6, NOTE).
# datetime.fromisoformat alone accepts far more (a bare date, a space, no offset).
_RFC3339_RE = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
# HTTP binding 3.1.3.2: printable ASCII stays as it is, except space, '"' and '%'.
_HEADER_SAFE: Final = "".join(c for c in map(chr, range(0x21, 0x7F)) if c not in ' "%')
_NEVER_ENCODED = re.compile(r'[" ]|[^\x21-\x7e]')
# Any character _HEADER_SAFE lacks: a value without one is its own encoding.
_NEEDS_ENCODING = re.compile(r"[^\x21\x23\x24\x26-\x7e]")
_SOURCE_RE = re.compile(r"^/[a-z][a-z0-9_]*(/[A-Za-z0-9_.-]+)*$")
_ACTOR_TYPES: Final = frozenset({"user", "system", "external"})

HeaderEncoding = Literal["percent", "legacy"]
HEADER_ENCODINGS: Final[tuple[HeaderEncoding, ...]] = ("percent", "legacy")
ENCODING_ENV: Final = "GOVPROJ_EVENTS_HEADER_ENCODING"
_configured: HeaderEncoding | None = None


class Actor(TypedDict):
    """Who caused the event. System processes name themselves (``type="system"``).

    ``name`` is the person's display name when the caller has one (a user's
    token, the finance officer who answered): the stream is the audit trail,
    and an auditor reads names, not subject ids.
    """

    type: Literal["user", "system", "external"]
    id: str
    tenant: str | None
    roles: list[str]
    name: NotRequired[str]


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
    actor: Actor = {"type": kind, "id": actor_id, "tenant": tenant, "roles": list(roles)}
    name = raw.get("name")
    if name is not None:
        if not isinstance(name, str):
            raise MalformedEvent("actor.name must be a string")
        if name:
            actor["name"] = name
    return actor


def new_event_id() -> str:
    """A fresh event id (UUIDv7: time-ordered, so the outbox's ``ORDER BY id`` is publish order)."""
    return str(uuid6.uuid7())


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
    check_json: bool = True,
    event_id: str | None = None,
) -> Event:
    """A new event with a fresh UUIDv7 id; validates every attribute (raises ValueError).

    ``check_json=False`` is for a caller that serialises ``data`` itself next (the
    outbox does, once for its row and its contract check). ``event_id`` (of
    :func:`new_event_id`) is for a producer that writes the id into its own rows in
    the same statement as its change, before it emits the event.
    """
    try:
        checked_actor = _validate_actor(actor)
    except MalformedEvent as exc:
        raise ValueError(exc.reason) from None
    payload = dict(data)
    if check_json:
        # Fail at the producer, inside its transaction, rather than at the relay.
        json.dumps(payload, allow_nan=False)
    return Event(
        id=event_id or new_event_id(),
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


def parse_time(value: str) -> datetime:
    """A strict RFC 3339 date-time (lowercase ``t``/``z`` accepted); ValueError otherwise."""
    if not _RFC3339_RE.fullmatch(value):
        raise ValueError(f"not an RFC 3339 date-time: {value!r}")
    return datetime.fromisoformat(value.upper().replace("Z", "+00:00"))


def encode_header(value: str) -> str:
    """Percent-encode a ``ce-`` header value (binding rule, as HTTP binding 3.1.3.2)."""
    # Most values (ids, types, times) need nothing: one scan instead of quote's per-character work.
    if not _NEEDS_ENCODING.search(value):
        return value
    return quote(value, safe=_HEADER_SAFE)


def decode_header(value: str) -> str:
    """Percent-decode a ``ce-`` header value, or keep a pre-binding raw value as it is.

    The encoding never yields ``"``, a space or a non-ASCII character, so a
    value holding one was sent raw by a producer from before the transition
    (raw JSON in ``ce-actor``); decoding it could corrupt a literal ``%``.
    """
    # Without a "%" there is nothing to decode (most headers): skip the scan.
    if "%" not in value or _NEVER_ENCODED.search(value):
        return value
    return unquote(value, errors="strict")


def configure_header_encoding(encoding: HeaderEncoding) -> None:
    """How this process's events carry ``ce-actor`` from now on (a service's setting)."""
    global _configured
    if encoding not in HEADER_ENCODINGS:
        raise ValueError(f"header encoding must be one of {HEADER_ENCODINGS}, got {encoding!r}")
    _configured = encoding


def header_encoding() -> HeaderEncoding:
    """The configured encoding, else ``GOVPROJ_EVENTS_HEADER_ENCODING``, else ``percent``."""
    if _configured is not None:
        return _configured
    value = os.environ.get(ENCODING_ENV, "percent")
    for known in HEADER_ENCODINGS:
        if value == known:
            return known
    raise ValueError(f"{ENCODING_ENV} must be one of {HEADER_ENCODINGS}, got {value!r}")


def legacy_actor(actor: Actor) -> str:
    """``ce-actor`` that 0.1.0 reads (raw JSON) and percent-decoding leaves as it is.

    ASCII only (``\\uXXXX`` escapes) with ``%`` escaped too: ``%`` occurs in
    JSON only inside strings, where ``\\u0025`` means the same character.
    """
    return json.dumps(actor, separators=(",", ":")).replace("%", "\\u0025")


def encode_data(data: Mapping[str, Any]) -> bytes:
    """The payload bytes: compact UTF-8 JSON (Chinese text stays readable)."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def event_headers(event: Event, encoding: HeaderEncoding | None = None) -> dict[str, str]:
    """The NATS headers of ``event`` (binary-mode CloudEvents plus ``Nats-Msg-Id``).

    ``encoding`` defaults to :func:`header_encoding`; ``legacy`` changes only
    ``ce-actor`` (every other value of ours is the same encoded or not).
    """
    attributes = {
        H_SPECVERSION: SPECVERSION,
        H_ID: event.id,
        H_TYPE: event.type,
        H_SOURCE: event.source,
        H_TIME: _format_time(event.time),
        H_TENANT: event.tenant,
        H_ACTOR: json.dumps(event.actor, ensure_ascii=False, separators=(",", ":")),
        H_DATACONTENTTYPE: event.datacontenttype,
    }
    headers = {name: encode_header(value) for name, value in attributes.items()}
    if (encoding or header_encoding()) == "legacy":
        headers[H_ACTOR] = legacy_actor(event.actor)
    headers[MSG_ID_HEADER] = event.id
    if event.traceparent:
        headers[H_TRACEPARENT] = event.traceparent
    if event.tracestate:
        headers[H_TRACESTATE] = event.tracestate
    return headers


def to_nats(
    event: Event, encoding: HeaderEncoding | None = None
) -> tuple[str, dict[str, str], bytes]:
    """``(subject, headers, payload)`` to hand to ``js.publish``."""
    return event.subject, event_headers(event, encoding), encode_data(event.data)


def _required(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name)
    if not value:
        raise MalformedEvent(f"missing header {name}")
    return value


def _lowered(headers: Mapping[str, str]) -> dict[str, str]:
    """Header names folded to lowercase (NATS headers, like HTTP's, are case-insensitive).

    ``ce-`` values are percent-decoded; others (``traceparent``, ``Nats-Msg-Id``)
    are not CloudEvents attributes and pass as they are.
    """
    out: dict[str, str] = {}
    for name, value in headers.items():
        key = name.lower()
        if key in out:
            raise MalformedEvent(f"header {key} given twice")
        if key.startswith("ce-"):
            try:
                value = decode_header(value)
            except UnicodeDecodeError:
                raise MalformedEvent(f"{key} is not percent-encoded UTF-8") from None
        out[key] = value
    return out


def _is_json(content_type: str) -> bool:
    media = content_type.split(";")[0].strip().lower()
    return media == CONTENT_TYPE or (media.startswith("application/") and media.endswith("+json"))


def from_nats(subject: str, headers: Mapping[str, str] | None, payload: bytes) -> Event:
    """Parse and validate a received message; raises :class:`MalformedEvent` with the reason.

    Only structure is checked here; whether the subject's tenant agrees with
    the event's is the consumer's check (:func:`tenant_mismatch`).
    """
    if not headers:
        raise MalformedEvent("no headers: not a binary-mode CloudEvent")
    headers = _lowered(headers)
    if headers.get(H_SPECVERSION) != SPECVERSION:
        raise MalformedEvent(f"{H_SPECVERSION} must be {SPECVERSION}")
    event_id = _required(headers, H_ID)
    try:
        uuid.UUID(event_id)
    except ValueError:
        raise MalformedEvent(f"{H_ID} is not a UUID") from None
    msg_id = headers.get(MSG_ID_HEADER.lower())
    if msg_id is not None and msg_id != event_id:
        raise MalformedEvent(f"{MSG_ID_HEADER} differs from {H_ID}")
    event_type = _required(headers, H_TYPE)
    if not _TYPE_RE.fullmatch(event_type):
        raise MalformedEvent(f"{H_TYPE} {event_type!r} is not <ns>.<svc>.<aggregate>.<event>.v<N>")
    source = _required(headers, H_SOURCE)
    if not _SOURCE_RE.fullmatch(source):
        raise MalformedEvent(f"{H_SOURCE} {source!r} is not a path like /govproj/<service>")
    try:
        time = parse_time(_required(headers, H_TIME))
    except ValueError:
        raise MalformedEvent(f"{H_TIME} is not RFC 3339") from None
    tenant = _required(headers, H_TENANT)
    if not TENANT_RE.fullmatch(tenant):
        raise MalformedEvent(f"{H_TENANT} must be a six-digit division code")
    try:
        actor = _validate_actor(json.loads(_required(headers, H_ACTOR)))
    except json.JSONDecodeError:
        raise MalformedEvent(f"{H_ACTOR} is not JSON") from None
    # The binding's ce-datacontenttype; content-type from producers before it.
    header = H_DATACONTENTTYPE if H_DATACONTENTTYPE in headers else H_CONTENT_TYPE
    content_type = headers.get(header) or CONTENT_TYPE
    if not _is_json(content_type):
        raise MalformedEvent(f"{header} {content_type!r} is not JSON ({CONTENT_TYPE})")
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
        datacontenttype=content_type,
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
