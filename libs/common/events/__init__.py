"""Events: CloudEvents envelope, transactional outbox, relay, streams and consumers.

The path of an event (architecture.md, Events)::

    service transaction ── emit() ──> outbox row (+ NOTIFY at commit)
    OutboxRelay ── claim SKIP LOCKED ──> JetStream (Nats-Msg-Id = event id) ──> mark sent
    ConsumerRunner ── fetch ──> inbox row + handler effect, one commit ──> ack

One UUIDv7 per event is the outbox key, the CloudEvents ``id``, the
``Nats-Msg-Id`` and the inbox key, so every hop dedupes on the same value.
"""

from libs.common.events._consumer import (
    BatchHandler,
    ConsumerRunner,
    ConsumerStats,
    Handler,
    NatsFactory,
    Reject,
)
from libs.common.events._contracts import ContractError, forgery, handler_problems, nats_match
from libs.common.events._durables import durable_name
from libs.common.events._envelope import (
    HEADER_ENCODINGS,
    Actor,
    Event,
    HeaderEncoding,
    MalformedEvent,
    configure_header_encoding,
    from_nats,
    header_encoding,
    make_event,
    new_event_id,
    system_actor,
    tenant_mismatch,
    to_nats,
    type_for,
)
from libs.common.events._fault import FAULT_ENV
from libs.common.events._outbox import (
    EventTables,
    create_event_tables_rls,
    drop_event_tables_rls,
    drop_event_tables_rls_statements,
    emit,
    event_tables,
    event_tables_rls_statements,
    flush_outbox,
    notify_channel,
)
from libs.common.events._relay import OutboxRelay, RelayStats
from libs.common.events._streams import DUPLICATE_WINDOW, STREAMS, StreamSpec, ensure_streams
from libs.common.events._subjects import (
    audit_subject,
    finance_subject,
    subject_for,
    tenant_of_subject,
)
from libs.common.events._telemetry import consumed
from libs.common.events._users import (
    EXTERNAL_USERS,
    OPERATOR,
    SERVICE_USERS,
    NatsUsers,
    publish_allowed,
    with_credentials,
)

__all__ = [
    "DUPLICATE_WINDOW",
    "EXTERNAL_USERS",
    "FAULT_ENV",
    "HEADER_ENCODINGS",
    "OPERATOR",
    "SERVICE_USERS",
    "STREAMS",
    "Actor",
    "BatchHandler",
    "ConsumerRunner",
    "ConsumerStats",
    "ContractError",
    "Event",
    "EventTables",
    "Handler",
    "HeaderEncoding",
    "MalformedEvent",
    "NatsFactory",
    "NatsUsers",
    "OutboxRelay",
    "Reject",
    "RelayStats",
    "StreamSpec",
    "audit_subject",
    "configure_header_encoding",
    "consumed",
    "create_event_tables_rls",
    "drop_event_tables_rls",
    "drop_event_tables_rls_statements",
    "durable_name",
    "emit",
    "ensure_streams",
    "event_tables",
    "event_tables_rls_statements",
    "finance_subject",
    "flush_outbox",
    "forgery",
    "from_nats",
    "handler_problems",
    "header_encoding",
    "make_event",
    "nats_match",
    "new_event_id",
    "notify_channel",
    "publish_allowed",
    "subject_for",
    "system_actor",
    "tenant_mismatch",
    "tenant_of_subject",
    "to_nats",
    "type_for",
    "with_credentials",
]
