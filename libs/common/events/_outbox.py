"""The transactional outbox, the inbox and the dead-letter table of a service schema.

A state change and its event commit in one transaction (:func:`emit`); the
relay publishes committed rows later, so an event is never published for a
change that rolled back, and never lost for one that committed.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from opentelemetry import propagate
from sqlalchemy import (
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    TextClause,
    func,
    text,
)
from sqlalchemy import event as sa_event
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction
from sqlalchemy.sql.util import find_tables

from libs.common.db import TENANT_ID_LENGTH, before_context_change
from libs.common.db.rls import (
    APP_ROLE,
    RELAY_ROLE,
    drop_tenant_rls_statements,
    tenant_rls_statements,
)
from libs.common.events._contracts import check_emit
from libs.common.events._envelope import (
    H_TRACEPARENT,
    H_TRACESTATE,
    Event,
    event_headers,
    make_event,
)

__all__ = [
    "EventTables",
    "create_event_tables_rls",
    "drop_event_tables_rls",
    "emit",
    "event_tables",
    "event_tables_rls_statements",
    "flush_outbox",
    "notify_channel",
]

_SCHEMA_RE = re.compile(r"^[a-z][a-z0-9_]*$")


def _check_schema(schema: str) -> str:
    # Schema names are interpolated into SQL; only plain identifiers pass.
    if not _SCHEMA_RE.fullmatch(schema):
        raise ValueError(f"schema must match {_SCHEMA_RE.pattern}, got {schema!r}")
    return schema


def schema_sql(template: str, schema: str) -> TextClause:
    """``text(template)`` with ``{schema}`` replaced by the quoted, validated schema name.

    The only way event SQL names a schema: identifiers cannot be bind
    parameters, so they pass :func:`_check_schema` instead.
    """
    return text(template.replace("{schema}", f'"{_check_schema(schema)}"'))


def notify_channel(schema: str) -> str:
    """The LISTEN/NOTIFY channel that wakes the relay of ``schema``."""
    return f"govproj_outbox_{_check_schema(schema)}"


@dataclass(frozen=True)
class EventTables:
    """The three event tables added to a service's metadata."""

    outbox: Table
    inbox: Table
    dead_letter: Table


def event_tables(metadata: MetaData) -> EventTables:
    """Add ``outbox``, ``inbox`` and ``dead_letter`` to ``metadata`` (in its schema).

    Call once from the service's ``models.py`` so Alembic autogenerate sees
    them; the initial migration then calls :func:`create_event_tables_rls`.
    """
    outbox = Table(
        "outbox",
        metadata,
        # The event id (UUIDv7): time-ordered, so ORDER BY id is publish order.
        Column("id", UUID(as_uuid=True), primary_key=True),
        Column("tenant_id", String(TENANT_ID_LENGTH), nullable=False),
        Column("subject", Text, nullable=False),
        Column("type", Text, nullable=False),
        Column("headers", JSONB, nullable=False),
        Column("payload", JSONB, nullable=False),
        Column("traceparent", Text, nullable=True),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("sent_at", DateTime(timezone=True), nullable=True),
        Column("attempts", Integer, nullable=False, server_default=text("0")),
        Column("last_error", Text, nullable=True),
        # Partial: the relay's claim scans only what is unsent, however long the history grows.
        Index("ix_outbox_unsent", "id", postgresql_where=text("sent_at IS NULL")),
    )
    inbox = Table(
        "inbox",
        metadata,
        Column("tenant_id", String(TENANT_ID_LENGTH), nullable=False),
        Column("event_id", UUID(as_uuid=True), nullable=False),
        # Keyed by consumer too: two consumers of one service may both apply the same event.
        Column("consumer", Text, nullable=False),
        Column("subject", Text, nullable=False),
        Column("type", Text, nullable=False),
        Column("applied_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        PrimaryKeyConstraint("event_id", "consumer", name="pk_inbox"),
    )
    dead_letter = Table(
        "dead_letter",
        metadata,
        Column("id", UUID(as_uuid=True), primary_key=True),
        Column("consumer", Text, nullable=False),
        Column("subject", Text, nullable=False),
        Column("headers", JSONB, nullable=True),
        # Raw bytes: a malformed payload may not even be UTF-8.
        Column("payload", LargeBinary, nullable=False),
        Column("reason", Text, nullable=False),
        Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )
    return EventTables(outbox=outbox, inbox=inbox, dead_letter=dead_letter)


def event_tables_rls_statements(schema: str) -> list[str]:
    """DDL that secures the event tables of ``schema`` (run by the owner after creating them)."""
    s = _check_schema(schema)
    outbox = f'"{s}".outbox'
    return [
        *tenant_rls_statements(s, "outbox"),
        # The relay is the one role that sees every tenant's outbox rows, and it
        # may only read them and mark them sent: column grants keep it from
        # rewriting an event's content.
        f"CREATE POLICY relay_read ON {outbox} FOR SELECT TO {RELAY_ROLE} USING (true)",
        f"CREATE POLICY relay_mark ON {outbox} FOR UPDATE TO {RELAY_ROLE} "
        "USING (true) WITH CHECK (true)",
        f"GRANT SELECT, UPDATE (sent_at, attempts, last_error) ON {outbox} TO {RELAY_ROLE}",
        # Services only append events: the outbox is the first copy of the audit trail.
        f"REVOKE UPDATE, DELETE ON {outbox} FROM {APP_ROLE}",
        f"GRANT SELECT, INSERT ON {outbox} TO {APP_ROLE}",
        *tenant_rls_statements(s, "inbox"),
        f'GRANT SELECT, INSERT ON "{s}".inbox TO {APP_ROLE}',
        # dead_letter has no tenant_id and no RLS on purpose: it holds messages
        # that could not be trusted (bad JSON, missing headers, a subject
        # tenant that contradicts the payload), so no tenant can be assigned
        # to them, and the consumer writes them without a tenant context. It is
        # an operator's table: no service API may expose it.
        f'GRANT SELECT, INSERT ON "{s}".dead_letter TO {APP_ROLE}',
    ]


def drop_event_tables_rls_statements(schema: str) -> list[str]:
    """Undo :func:`event_tables_rls_statements` (for a migration's downgrade)."""
    s = _check_schema(schema)
    outbox = f'"{s}".outbox'
    return [
        f"DROP POLICY IF EXISTS relay_read ON {outbox}",
        f"DROP POLICY IF EXISTS relay_mark ON {outbox}",
        f"REVOKE ALL ON {outbox} FROM {RELAY_ROLE}",
        *drop_tenant_rls_statements(s, "outbox"),
        *drop_tenant_rls_statements(s, "inbox"),
    ]


def create_event_tables_rls(schema: str) -> None:
    """Alembic helper for a service's initial migration, after the tables are created."""
    from alembic import op

    for stmt in event_tables_rls_statements(schema):
        op.execute(stmt)


def drop_event_tables_rls(schema: str) -> None:
    """Alembic helper for the matching ``downgrade()``."""
    from alembic import op

    for stmt in drop_event_tables_rls_statements(schema):
        op.execute(stmt)


def _current_trace() -> tuple[str | None, str | None]:
    # A no-op propagator (no tracer configured) leaves the carrier empty.
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier.get(H_TRACEPARENT), carrier.get(H_TRACESTATE)


# PostgreSQL serialises the commits of notifying transactions (PreCommit_Notify
# holds a cluster-wide lock through the commit's WAL flush), so a NOTIFY in
# every emitting transaction caps the whole cluster's emitting commits at one
# per fsync and defeats group commit. One NOTIFY per channel per interval per
# process still wakes an idle relay at once; while events flow the relay is
# awake and lingers (``OutboxRelay.busy_poll_interval``), so the transactions in
# between need none. Measured in bench/events.py.
NOTIFY_MIN_INTERVAL = 0.01
_last_notify: dict[str, float] = {}
_INSERT: dict[tuple[str, bool], TextClause] = {}

# Every row of a transaction in one statement of fixed text (one prepared
# statement however many events): the columns travel as arrays.
_ROWS = (
    "INSERT INTO {schema}.outbox (id, tenant_id, subject, type, headers, payload, traceparent) "
    "SELECT e.id, e.tenant, e.subject, e.type, e.headers::jsonb, e.payload::jsonb, e.traceparent "
    "FROM unnest(CAST(:ids AS uuid[]), CAST(:tenants AS text[]), CAST(:subjects AS text[]), "
    "CAST(:types AS text[]), CAST(:headers AS text[]), CAST(:payloads AS text[]), "
    "CAST(:traceparents AS text[])) "
    "AS e(id, tenant, subject, type, headers, payload, traceparent)"
)
_COLUMNS = ("ids", "tenants", "subjects", "types", "headers", "payloads", "traceparents")


def _insert_statement(schema: str, notify: bool) -> TextClause:
    # One round trip: insert the rows and, when due, queue the NOTIFY (delivered
    # at commit, dropped at rollback: the relay never wakes for a change that
    # did not happen).
    stmt = _INSERT.get((schema, notify))
    if stmt is None:
        template = f"WITH rows AS ({_ROWS}) SELECT pg_notify(:channel, '')" if notify else _ROWS
        stmt = _INSERT[(schema, notify)] = schema_sql(template, schema)
    return stmt


def _notify_due(channel: str) -> bool:
    now = time.monotonic()
    if now - _last_notify.get(channel, -1.0) < NOTIFY_MIN_INTERVAL:
        return False
    _last_notify[channel] = now
    return True


# -- events held until the transaction writes them -------------------------------------
#
# emit() appends the row to the session; the rows are written in ONE statement
# per schema when the transaction (or a savepoint) commits, or before its tenant
# context changes (the rows must be checked by RLS under the context they were
# emitted in), or before a statement that reads the outbox (the transaction sees
# its own events). A savepoint that rolls back drops the rows emitted inside it; a
# rolled-back transaction drops them all, as a rolled-back INSERT would.
# Code that opens a savepoint while rows are held must write them first
# (flush_outbox), so a later context change inside the savepoint cannot carry
# them into it; the consumer does.

_PENDING = "govproj.outbox.pending"
_MARKS = "govproj.outbox.savepoint_marks"


def _pending(session: Session) -> list[tuple[str, dict[str, Any]]]:
    pending: list[tuple[str, dict[str, Any]]] = session.info.setdefault(_PENDING, [])
    return pending


def _write_pending(session: Session) -> None:
    """Write the held rows, one INSERT per schema (sync: runs inside SQLAlchemy's greenlet)."""
    pending = session.info.get(_PENDING)
    if not pending:
        return
    rows, pending[:] = list(pending), []
    by_schema: dict[str, list[dict[str, Any]]] = {}
    for schema, row in rows:
        by_schema.setdefault(schema, []).append(row)
    for schema, schema_rows in by_schema.items():
        channel = notify_channel(schema)
        notify = _notify_due(channel)
        params: dict[str, Any] = {c: [r[c] for r in schema_rows] for c in _COLUMNS}
        if notify:
            params["channel"] = channel
        session.execute(_insert_statement(schema, notify), params)


async def flush_outbox(session: AsyncSession) -> None:
    """Write the events emitted so far in this transaction (commit does it by itself)."""
    if session.info.get(_PENDING):
        await session.run_sync(_write_pending)


before_context_change(flush_outbox)


@sa_event.listens_for(Session, "before_commit")
def _write_at_commit(session: Session) -> None:
    _write_pending(session)


def _touches_outbox(statement: Any) -> bool:
    if isinstance(statement, TextClause):
        return "outbox" in statement.text
    return any(getattr(t, "name", None) == "outbox" for t in find_tables(statement))


@sa_event.listens_for(Session, "do_orm_execute")
def _write_before_reading(state: ORMExecuteState) -> None:
    # A transaction that reads the outbox sees the events it emitted, as when
    # emit() wrote at once (only checked while rows are held, which is rare).
    if state.session.info.get(_PENDING) and _touches_outbox(state.statement):
        _write_pending(state.session)


@sa_event.listens_for(Session, "after_transaction_create")
def _mark_savepoint(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested:
        session.info.setdefault(_MARKS, {})[id(transaction)] = len(_pending(session))


@sa_event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    pending = session.info.get(_PENDING)
    if not pending:
        return
    if previous_transaction.nested:
        del pending[session.info[_MARKS][id(previous_transaction)] :]
    else:
        pending.clear()


@sa_event.listens_for(Session, "after_transaction_end")
def _forget_transaction(session: Session, transaction: SessionTransaction) -> None:
    # A savepoint's mark is kept until the transaction ends: SQLAlchemy ends a
    # savepoint before it reports its rollback (after_soft_rollback needs it).
    if transaction.parent is None:
        # Committed (written) or rolled back or closed: nothing carries over.
        session.info.pop(_PENDING, None)
        session.info.pop(_MARKS, None)


async def emit(
    session: AsyncSession,
    *,
    tenant: str,
    service: str,
    aggregate: str,
    event: str,
    data: Mapping[str, Any],
    actor: Mapping[str, Any],
    version: int = 1,
    traceparent: str | None = None,
    schema: str | None = None,
    event_id: str | None = None,
) -> Event:
    """Record an event in the caller's transaction; it is published after that commits.

    The event must have a contract (libs/contracts) and its ``data`` must hold
    to it, else :class:`~libs.common.events.ContractError` is raised here, in
    the producer's transaction, rather than a consumer dead-lettering it later.
    Never commits: the state change and its event commit together or not at
    all. The row is held by the session and written with the transaction's
    other events in one INSERT at commit (or before the tenant context
    changes), so ``tenant`` must be the transaction's own tenant: RLS refuses
    any other, at that write. ``schema`` defaults to ``service`` (each service
    owns the schema named after it). The current OpenTelemetry context, if any,
    becomes the event's ``traceparent`` unless one is given; ``event_id`` is the
    event's id when the caller made it first (:func:`new_event_id`). The relay is woken
    by a NOTIFY delivered at commit (at most one per 10 ms per process, see
    ``NOTIFY_MIN_INTERVAL``).
    """
    tracestate: str | None = None
    if traceparent is None:
        traceparent, tracestate = _current_trace()
    ev = make_event(
        tenant=tenant,
        service=service,
        aggregate=aggregate,
        event=event,
        data=data,
        actor=actor,
        version=version,
        traceparent=traceparent,
        tracestate=tracestate,
        check_json=False,
        event_id=event_id,
    )
    # Serialised once (a decision's payload is large): the row's payload is the JSON
    # the contract checks, and what make_event's check would have refused.
    payload = json.dumps(ev.data, ensure_ascii=False, allow_nan=False)
    check_emit(ev.type, service, ev.data, payload)
    row = {
        "ids": ev.id,
        "tenants": ev.tenant,
        "subjects": ev.subject,
        "types": ev.type,
        "headers": json.dumps(event_headers(ev), ensure_ascii=False),
        "payloads": payload,
        "traceparents": ev.traceparent,
    }
    _pending(session.sync_session).append((_check_schema(schema or service), row))
    return ev
