"""The consumer runner: durable pull consumer, inbox dedupe, dead letters, supervision.

Per batch of messages fetched from JetStream:

1. Each message is parsed; a malformed one, or one whose subject, ``ce-tenant``
   and ``data.tenant`` disagree, goes to ``dead_letter`` and is acked: nothing
   else changes and the stream moves on. An event with a handler is then held
   to its contract (libs/contracts): a forged one (subject, ``ce-source`` and
   the contract's producer disagree) or one whose data breaks the contract is
   rejected (:class:`Reject`: dead-lettered with the reason, inbox row
   written) without reaching the handler.
2. The rest are applied in ONE database transaction, each under
   ``TenantContext.own(event.tenant)``: insert the inbox row (``ON CONFLICT
   DO NOTHING``; already there means the effect was applied before, so the
   handler is skipped), run the handler. One commit per batch instead of one
   per event: the fsync is what a consumer waits for (``batch_size=1`` gives
   one transaction per event). A :class:`BatchHandler` takes each run of its
   events of one tenant in one call (one read, multi-row writes). If a
   handler raises, the batch is redone with a savepoint per event, each event
   alone (a batch handler with a run of one), so only the failing event's
   effect is rolled back.
3. After the commit the applied messages are acked with a double ack (the
   server confirms each ack; a batch's acks are written together and their
   confirmations awaited together). A crash between commit and ack
   redelivers them; the inbox skips them. Failed ones are nak'ed with a
   delay from ``backoff``; at ``max_deliver`` deliveries they are
   dead-lettered and terminated.

Infrastructure failures (database or NATS down) never dead-letter a message:
the batch is nak'ed and retried until the infrastructure is back. The
JetStream consumer itself therefore redelivers without limit; the runner alone
decides when a handler has failed often enough.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import nats
import uuid6
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import APIError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.db import TenantContext, apply_tenant_context
from libs.common.errors import Problem
from libs.common.events._backoff import Backoff, wait_for_event
from libs.common.events._contracts import forgery, handler_problems
from libs.common.events._durables import durable_name, retire_stale_durables
from libs.common.events._envelope import Event, MalformedEvent, from_nats, tenant_mismatch
from libs.common.events._fault import crash_if_armed
from libs.common.events._outbox import _check_schema, flush_outbox, schema_sql
from libs.common.events._pipelined import PipelinedRequests, failed, settle
from libs.common.events._telemetry import consume_span, consume_spans
from libs.contracts import contract_for

__all__ = ["BatchHandler", "ConsumerRunner", "ConsumerStats", "Handler", "NatsFactory"]

log = logging.getLogger("govproj.events.consumer")

Handler = Callable[[AsyncSession, Event], Awaitable[None]]
"""Applies one event inside the runner's transaction; only flushes, never commits."""


@dataclass(frozen=True)
class BatchHandler:
    """A handler that applies a run of events at once, and each alone when it must.

    ``apply(session, events)`` gets the batch's fresh events of its type(s) in
    delivery order, consecutive and of one tenant (the session is in that
    tenant's context, each event already in the inbox), and must have exactly
    the effect of applying them one after another (its events emitted in that
    order too). Called with one event it IS the handler: the runner's isolated
    path (a savepoint per event, after any handler raised) and ``batch_size=1``
    apply each event that way, so a rejected or failing event never takes the
    rest of its run with it. Emit an event's events under
    :func:`~libs.common.events.consumed` to keep its trace.
    """

    apply: Callable[[AsyncSession, Sequence[Event]], Awaitable[None]]

    async def __call__(self, session: AsyncSession, event: Event) -> None:
        await self.apply(session, (event,))


NatsFactory = Callable[[], Awaitable[Any]]
"""Returns a connected ``nats.aio.client.Client`` that the runner does not close."""

DEFAULT_BACKOFF: tuple[float, ...] = (1.0, 5.0, 30.0, 120.0)
_ACK_TIMEOUT = 5.0
_REASON_LENGTH = 2000


@dataclass
class ConsumerStats:
    """Counters since the runner started (for logs, metrics and tests)."""

    applied: int = 0
    duplicates: int = 0
    ignored: int = 0
    retried: int = 0
    dead_lettered: int = 0
    rejected: int = 0
    subscriptions: int = 0


class Reject(Exception):
    """Raised by a handler: this event is wrong and will stay wrong, do not retry it.

    The runner rolls back the handler's effect, writes the event to the
    service's ``dead_letter`` table with ``reason`` and records it in the inbox,
    all in the batch's transaction, then acks it: a redelivery finds the inbox
    row and changes nothing. A 4xx :class:`~libs.common.errors.Problem` raised by
    a handler (a domain error) is rejected the same way, with its detail as the
    reason.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _rejection(exc: BaseException) -> str | None:
    """The dead-letter reason when ``exc`` rejects the event, else None (retry)."""
    if isinstance(exc, Reject):
        return exc.reason
    if isinstance(exc, Problem) and 400 <= exc.status < 500:
        return f"{exc.code}: {exc.detail or exc.title}"
    return None


def _rejecting(reason: str) -> Handler:
    """A handler that rejects its event: the runner's one path for what must not apply."""

    async def reject(session: AsyncSession, event: Event) -> None:
        raise Reject(reason)

    return reject


class _InfraError(Exception):
    """The database or the connection failed, not the handler: retry, never dead-letter."""


class _HandlerFailedError(Exception):
    """A handler raised on the optimistic path: redo the batch with a savepoint per event."""


def _is_infra(exc: BaseException) -> bool:
    if isinstance(exc, (OperationalError, InterfaceError, OSError, ConnectionError)):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


@dataclass(eq=False)
class _Work:
    msg: Any
    event: Event
    handler: Handler
    #: Why it is rejected before any handler sees it (its handler then only rejects it).
    rejection: str | None = None


def _run_key(item: _Work) -> object:
    """Consecutive events of one batch handler form a run; any other event, a run alone."""
    return item.handler if isinstance(item.handler, BatchHandler) else item


class ConsumerRunner:
    """Consume one durable JetStream consumer into a service schema, exactly once in effect.

    Parameters
    ----------
    sessionmaker
        Sessions on the app role's URL (RLS applies; the runner sets each
        event's tenant context).
    nats_source
        A NATS URL (the runner owns a connection that reconnects forever) or
        an async factory returning a connected client it does not close.
    schema
        The service schema with the inbox and dead_letter tables.
    durable
        The consumer's name: the inbox's ``consumer`` column, which must never
        change, and the stem of the JetStream durable, which is named after
        the filter set too (:func:`~libs.common.events.durable_name`): a
        release that changes the set gets a new durable that replays the
        stream through the inbox, and the previous one is deleted.
    stream, filter_subjects
        Where to consume from (``GOVPROJ``, ``["govproj.*.registry.>"]``).
    handlers
        ``ce-type`` → handler. Other types are acked and ignored. A key
        without a contract, or whose contract travels on another stream or
        subject than ``filter_subjects``, is logged as a handler that can
        never fire.
    max_deliver
        Deliveries after which a failing event is dead-lettered.
    backoff
        Nak delays in seconds by delivery number (the last repeats).
    batch_size
        Messages fetched and applied per transaction.
    ack_wait
        Seconds JetStream waits for an ack before redelivering (after a crash).
    idle_timeout
        Seconds a fetch waits for the first message.
    """

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        nats_source: str | NatsFactory,
        *,
        schema: str,
        durable: str,
        stream: str,
        filter_subjects: Sequence[str],
        handlers: Mapping[str, Handler],
        max_deliver: int = 5,
        backoff: Sequence[float] = DEFAULT_BACKOFF,
        batch_size: int = 64,
        ack_wait: float = 30.0,
        idle_timeout: float = 1.0,
        max_ack_pending: int = 1000,
        reconnect_backoff: float = 0.5,
    ) -> None:
        if not filter_subjects:
            raise ValueError("filter_subjects must name at least one subject")
        if max_deliver < 1 or not backoff:
            raise ValueError("max_deliver must be >= 1 and backoff non-empty")
        self._sessionmaker = sessionmaker
        self._nats_source = nats_source
        self._schema = _check_schema(schema)
        self._consumer = durable
        self._stream = stream
        self._filter_subjects = list(filter_subjects)
        self._durable = durable_name(durable, self._filter_subjects)
        self._handlers = dict(handlers)
        undeclared, unreachable = handler_problems(stream, self._filter_subjects, self._handlers)
        # Logged, not refused: a service still serves the events that do arrive,
        # and libs/contracts/tests/test_handler_tables.py fails on these in CI.
        # An event of an undeclared type that does arrive is rejected (_process).
        for event_type in undeclared:
            log.error(
                "consumer %s: the handler for %s can never fire (nobody declares that type)",
                durable,
                event_type,
            )
        for event_type in unreachable:
            log.error(
                "consumer %s: the handler for %s can never fire (not on %s %s)",
                durable,
                event_type,
                stream,
                self._filter_subjects,
            )
        self._max_deliver = max_deliver
        self._backoff = tuple(backoff)
        self._batch_size = batch_size
        self._ack_wait = ack_wait
        self._idle_timeout = idle_timeout
        self._max_ack_pending = max_ack_pending
        self._reconnect_backoff = reconnect_backoff
        self._resubscribe = Backoff(reconnect_backoff, 10.0)
        self._stopping = asyncio.Event()
        self._acks: PipelinedRequests | None = None  # one per connection, made by _consume
        self.stats = ConsumerStats()
        self._insert_inbox = schema_sql(
            "INSERT INTO {schema}.inbox (tenant_id, event_id, consumer, subject, type) "
            "VALUES (:tenant, CAST(:id AS uuid), :consumer, :subject, :type) "
            "ON CONFLICT DO NOTHING RETURNING 1",
            schema,
        )
        self._insert_inbox_many = schema_sql(
            "INSERT INTO {schema}.inbox (tenant_id, event_id, consumer, subject, type) "
            "SELECT :tenant, e.id, :consumer, e.subject, e.type FROM unnest("
            "CAST(:ids AS uuid[]), CAST(:subjects AS text[]), CAST(:types AS text[])"
            ") AS e(id, subject, type) ON CONFLICT DO NOTHING RETURNING event_id",
            schema,
        )
        self._insert_dead_many = schema_sql(
            "INSERT INTO {schema}.dead_letter "
            "(id, consumer, subject, headers, payload, reason) "
            "SELECT e.id, :consumer, e.subject, e.headers::jsonb, e.payload, e.reason "
            "FROM unnest(CAST(:ids AS uuid[]), CAST(:subjects AS text[]), "
            "CAST(:headers AS text[]), CAST(:payloads AS bytea[]), CAST(:reasons AS text[])) "
            "AS e(id, subject, headers, payload, reason)",
            schema,
        )
        self._insert_dead = schema_sql(
            "INSERT INTO {schema}.dead_letter "
            "(id, consumer, subject, headers, payload, reason) "
            "VALUES (CAST(:id AS uuid), :consumer, :subject, CAST(:headers AS jsonb), "
            ":payload, :reason)",
            schema,
        )

    @property
    def consumer(self) -> str:
        """The consumer's name (the inbox key)."""
        return self._consumer

    @property
    def durable(self) -> str:
        """The JetStream durable it consumes from (the name plus the filter set's hash)."""
        return self._durable

    # -- lifecycle -----------------------------------------------------------------

    def stop(self) -> None:
        """Ask :meth:`run` to return after the batch in flight (its acks included)."""
        self._stopping.set()

    async def run(self) -> None:
        """Consume until :meth:`stop`; re-create the subscription whenever it may be dead.

        nats-py pull subscriptions do not resume by themselves after a server
        restart, so any fetch error, a reconnect, or a consumer that vanished
        sends the runner back to bind a fresh subscription (and re-create the
        durable consumer if the server lost it).
        """
        delays = self._resubscribe.delays()
        while not self._stopping.is_set():
            nc: Any = None
            owned = isinstance(self._nats_source, str)
            try:
                nc = await self._connect()
                js = nc.jetstream()
                await self._ensure_consumer(js)
                sub = await js.pull_subscribe_bind(durable=self._durable, stream=self._stream)
                self.stats.subscriptions += 1
                delays = self._resubscribe.delays()
                try:
                    await self._consume(nc, js, sub)
                finally:
                    with contextlib.suppress(Exception):
                        await sub.unsubscribe()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("consumer %s: subscription lost (%r); re-creating", self._consumer, exc)
                await self._sleep(next(delays))
            finally:
                if owned and nc is not None:
                    with contextlib.suppress(Exception):
                        await asyncio.wait_for(nc.close(), timeout=5)

    async def _connect(self) -> Any:
        if not isinstance(self._nats_source, str):
            return await self._nats_source()

        async def quiet(exc: Exception) -> None:
            # Disconnects are expected during restarts; the supervisor reports what matters.
            log.debug("nats: %r", exc)

        return await nats.connect(
            self._nats_source,
            name=f"govproj-consumer-{self._durable}",
            max_reconnect_attempts=-1,
            reconnect_time_wait=0.5,
            connect_timeout=2,
            error_cb=quiet,
        )

    async def _ensure_consumer(self, js: Any) -> None:
        config = ConsumerConfig(
            name=self._durable,
            durable_name=self._durable,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            ack_wait=self._ack_wait,
            # Unlimited on the server: the runner dead-letters after max_deliver
            # handler failures, and an outage must never exhaust deliveries.
            max_deliver=-1,
            max_ack_pending=self._max_ack_pending,
        )
        if len(self._filter_subjects) == 1:
            config.filter_subject = self._filter_subjects[0]
        else:
            config.filter_subjects = self._filter_subjects
        try:
            await js.add_consumer(self._stream, config)
        except APIError as exc:
            # An existing consumer whose config cannot be updated in place
            # still serves; a missing stream is a real error.
            await js.consumer_info(self._stream, self._durable)
            log.warning("consumer %s kept its existing config: %s", self._durable, exc)
        # Only now that the new durable exists: its replay covers what the old one held.
        await self._retire_stale(js)

    async def _retire_stale(self, js: Any) -> None:
        # Housekeeping: a durable left behind costs disk, never correctness, so a
        # failure here must not stop the consumer (it is tried again when idle).
        try:
            await retire_stale_durables(js, self._stream, self._consumer, self._durable)
        except Exception as exc:
            log.warning("consumer %s: previous durables not retired: %r", self._consumer, exc)

    async def _sleep(self, seconds: float) -> None:
        await wait_for_event(self._stopping, seconds)

    # -- the fetch loop --------------------------------------------------------------

    async def _consume(self, nc: Any, js: Any, sub: Any) -> None:
        # nats-py's fetch(n) waits for a full batch once it has to linger, so the
        # runner never lingers for n: it takes whatever is ready now (a no-wait
        # pull, cheap while busy), and only when nothing is ready blocks on a
        # fetch of ONE message, then takes what else arrived with it. Latency
        # stays one round trip at low rates; batches grow with the load.
        reconnects = nc.stats["reconnects"]
        idle = 0
        busy = False
        stop_wait = asyncio.ensure_future(self._stopping.wait())
        acks = self._acks = PipelinedRequests(nc)
        try:
            while not self._stopping.is_set():
                if nc.stats["reconnects"] != reconnects or nc.is_closed:
                    # The server may have restarted and forgotten our pull requests.
                    raise ConnectionError("reconnected")
                msgs: list[Any] = []
                if busy:
                    msgs = await self._fetch_ready(sub, self._batch_size)
                if not msgs:
                    fetch = asyncio.ensure_future(sub.fetch(1, timeout=self._idle_timeout))
                    done, _ = await asyncio.wait(
                        {fetch, stop_wait}, return_when=asyncio.FIRST_COMPLETED
                    )
                    if fetch not in done:
                        fetch.cancel()
                        with contextlib.suppress(BaseException):
                            await fetch
                        return
                    try:
                        msgs = list(fetch.result())
                    except TimeoutError:
                        busy = False
                        idle += 1
                        if idle % 10 == 0:
                            # A quiet stream or a dead subscription? Ask the server.
                            await js.consumer_info(self._stream, self._durable)
                            # And retire a durable a replica of the previous
                            # release was still pulling from when this one bound.
                            await self._retire_stale(js)
                        continue
                    if self._batch_size > 1:
                        msgs += await self._fetch_ready(sub, self._batch_size - 1)
                idle = 0
                busy = True
                await self._process(msgs)
        finally:
            stop_wait.cancel()
            with contextlib.suppress(Exception):
                await acks.close()
            self._acks = None

    @staticmethod
    async def _fetch_ready(sub: Any, n: int) -> list[Any]:
        """Up to ``n`` messages that are ready now (waits at most ~10 ms)."""
        try:
            return list(await sub.fetch(n, timeout=0.01))
        except TimeoutError:
            return []

    # -- one batch -------------------------------------------------------------------

    async def _process(self, msgs: list[Any]) -> None:
        dead: list[tuple[Any, str]] = []
        work: list[_Work] = []
        ignored: list[Any] = []
        for msg in msgs:
            try:
                event = from_nats(msg.subject, msg.headers, msg.data)
            except MalformedEvent as exc:
                dead.append((msg, f"malformed: {exc.reason}"))
                continue
            if (why := tenant_mismatch(event)) is not None:
                dead.append((msg, f"tenant mismatch: {why}"))
                continue
            handler = self._handlers.get(event.type)
            if handler is None:
                log.info("consumer %s ignores %s (no handler)", self._consumer, event.type)
                ignored.append(msg)
                continue
            contract = contract_for(event.type)
            rejection = None
            if contract is None:
                rejection = f"no contract: nobody declares {event.type}"
            elif (why := forgery(event, contract)) is not None:
                rejection = f"forged: {why}"
            elif (why := contract.validate_json(bytes(msg.data))) is not None:
                rejection = f"contract: {why}"
            if rejection is not None:
                handler = _rejecting(rejection)
            work.append(_Work(msg, event, handler, rejection))

        if dead:
            try:
                await self._write_dead_letters(dead)
            except Exception as exc:
                # Not recorded, so not acked: it comes back when the database does.
                log.warning("consumer %s: dead-letter write failed: %r", self._consumer, exc)
                await asyncio.gather(*(self._nak_infra(m) for m, _ in dead))
            else:
                self.stats.dead_lettered += len(dead)
                await self._ack_all([m for m, _ in dead])

        applied: list[_Work] = []
        failed: list[tuple[_Work, BaseException]] = []
        if work:
            try:
                applied, failed = await self._apply_batch(work)
            except Exception as exc:
                log.warning("consumer %s: batch transaction failed: %r", self._consumer, exc)
                await asyncio.gather(*(self._nak_infra(w.msg) for w in work))
                await self._sleep(self._reconnect_backoff)
                applied, failed = [], []
            else:
                crash_if_armed("consumer_after_commit")
        await self._ack_all([w.msg for w in applied] + ignored)
        self.stats.ignored += len(ignored)
        for item, error in failed:
            await self._retry_or_dead_letter(item, error)

    async def _apply_batch(
        self, work: list[_Work]
    ) -> tuple[list[_Work], list[tuple[_Work, BaseException]]]:
        """Apply a batch in one transaction; returns (applied or already applied, failed).

        Optimistic first: one inbox INSERT per run of same-tenant events and no
        savepoints, about one round trip per event besides the handler's own.
        If a handler raises, that transaction is rolled back whole and the
        batch is applied again with a savepoint per event, so the failure
        touches only its own event.
        """
        try:
            return await self._apply_batch_fast(work), []
        except _HandlerFailedError:
            return await self._apply_batch_isolated(work)

    async def _apply_batch_fast(self, work: list[_Work]) -> list[_Work]:
        applied = rejected = 0
        async with self._sessionmaker() as session, session.begin():
            for tenant, run in itertools.groupby(work, key=lambda w: w.event.tenant):
                items = list(run)
                # Write the previous tenant's ORM changes under its own context
                # before leaving it: expunge_all() discards what is not flushed
                # (handlers may leave their changes to the commit's flush).
                await session.flush()
                # The identity map must not hand one tenant's objects to the next
                # tenant's handler without a query (and thus without RLS).
                session.expunge_all()
                await apply_tenant_context(session, TenantContext.own(tenant))
                result = await session.execute(
                    self._insert_inbox_many,
                    {
                        "tenant": tenant,
                        "consumer": self._consumer,
                        "ids": [w.event.id for w in items],
                        "subjects": [w.event.subject for w in items],
                        "types": [w.event.type for w in items],
                    },
                )
                fresh = {str(event_id) for event_id in result.scalars()}
                todo: list[_Work] = []
                for item in items:
                    if item.event.id not in fresh:
                        continue  # applied before (or twice in this batch): skip
                    fresh.discard(item.event.id)
                    todo.append(item)
                for same in [list(r) for _, r in itertools.groupby(todo, _run_key)]:
                    if same[0].rejection is not None:
                        # Rejected before any handler ran: nothing to undo, so no
                        # savepoint; its inbox row is in, its dead letter joins it.
                        await self._dead_letter_in(session, same[0], same[0].rejection)
                        rejected += 1
                        continue
                    try:
                        await self._apply_run(session, same)
                    except Exception as exc:
                        if _is_infra(exc):
                            raise _InfraError(repr(exc)) from exc
                        raise _HandlerFailedError from exc
                    applied += len(same)
        self.stats.applied += applied
        self.stats.rejected += rejected
        self.stats.dead_lettered += rejected
        self.stats.duplicates += len(work) - applied - rejected
        return work

    async def _apply_run(self, session: AsyncSession, run: list[_Work]) -> None:
        """Events that one handler applies: a batch handler's run in one call."""
        handler = run[0].handler
        if isinstance(handler, BatchHandler):
            events = [w.event for w in run]
            with consume_spans(events, self._consumer):
                await handler.apply(session, events)
            return
        for item in run:
            with consume_span(item.event, self._consumer):
                await item.handler(session, item.event)

    async def _apply_batch_isolated(
        self, work: list[_Work]
    ) -> tuple[list[_Work], list[tuple[_Work, BaseException]]]:
        applied: list[_Work] = []
        failed: list[tuple[_Work, BaseException]] = []
        duplicates = 0
        rejected = 0
        async with self._sessionmaker() as session, session.begin():
            for item in work:
                # The savepoint of the previous item flushed its changes (and wrote
                # its events) on release; nothing is held back across savepoints.
                await flush_outbox(session)
                session.expunge_all()
                try:
                    async with session.begin_nested():
                        if not await self._apply_one(session, item):
                            duplicates += 1
                except Exception as exc:
                    if _is_infra(exc):
                        raise _InfraError(repr(exc)) from exc
                    reason = _rejection(exc)
                    if reason is not None:
                        # The savepoint undid the effect; the rejection and its
                        # inbox row commit with the batch, so it is never redone.
                        await self._reject_in(session, item, reason)
                        rejected += 1
                        applied.append(item)
                        continue
                    log.warning(
                        "consumer %s: handler for %s %s failed: %r",
                        self._consumer,
                        item.event.type,
                        item.event.id,
                        exc,
                    )
                    failed.append((item, exc))
                else:
                    applied.append(item)
        self.stats.applied += len(applied) - duplicates - rejected
        self.stats.rejected += rejected
        self.stats.dead_lettered += rejected
        self.stats.duplicates += duplicates
        return applied, failed

    async def _enter_inbox(self, session: AsyncSession, event: Event) -> bool:
        """Record ``event`` in the inbox under its tenant; False when it was there already."""
        await apply_tenant_context(session, TenantContext.own(event.tenant))
        inserted = await session.execute(
            self._insert_inbox,
            {
                "tenant": event.tenant,
                "id": event.id,
                "consumer": self._consumer,
                "subject": event.subject,
                "type": event.type,
            },
        )
        return inserted.first() is not None

    async def _apply_one(self, session: AsyncSession, item: _Work) -> bool:
        """Inbox row then effect, in the event's tenant; False when applied before."""
        if not await self._enter_inbox(session, item.event):
            return False
        with consume_span(item.event, self._consumer):
            await item.handler(session, item.event)
        return True

    async def _reject_in(self, session: AsyncSession, item: _Work, reason: str) -> None:
        await self._enter_inbox(session, item.event)
        await self._dead_letter_in(session, item, reason)

    async def _dead_letter_in(self, session: AsyncSession, item: _Work, reason: str) -> None:
        """The rejected event's dead letter, in the batch's transaction (its inbox row too)."""
        event = item.event
        await session.execute(
            self._insert_dead, self._dead_letter_row(item.msg, "rejected: " + reason)
        )
        log.warning("consumer %s rejected %s %s: %s", self._consumer, event.type, event.id, reason)

    async def _retry_or_dead_letter(self, item: _Work, exc: BaseException) -> None:
        delivered = int(item.msg.metadata.num_delivered)
        try:
            if delivered >= self._max_deliver:
                reason = f"handler failed {delivered} times: {type(exc).__name__}: {exc}"
                await self._write_dead_letters([(item.msg, reason)])
                await item.msg.term()
                self.stats.dead_lettered += 1
            else:
                delay = self._backoff[min(delivered, len(self._backoff)) - 1]
                await item.msg.nak(delay=delay)
                self.stats.retried += 1
        except Exception as err:
            # Unacked, it is redelivered after ack_wait: nothing is lost.
            log.warning(
                "consumer %s: could not nak/term %s: %r", self._consumer, item.event.id, err
            )

    async def _nak_infra(self, msg: Any) -> None:
        with contextlib.suppress(Exception):
            await msg.nak(delay=self._backoff[0])

    async def _ack_all(self, msgs: list[Any]) -> None:
        """Double-ack ``msgs``: all acks written at once, their confirmations awaited together."""
        if not msgs:
            return
        if self._acks is None:
            raise RuntimeError("acks are sent only while consuming")
        confirmations = []
        for msg in msgs:
            try:
                # What Msg.ack_sync sends (an empty body is an ack), without its
                # task and timer per message.
                confirmations.append(await self._acks.send(msg.reply, b""))
            except Exception as exc:
                confirmations.append(failed(exc))
        for result in await settle(confirmations, _ACK_TIMEOUT):
            if isinstance(result, BaseException):
                # Redelivered later and skipped by the inbox.
                log.info("consumer %s: ack failed: %r", self._consumer, result)

    def _dead_letter_row(self, msg: Any, reason: str) -> dict[str, Any]:
        """The dead_letter row of ``msg``; its reason cut short enough for an operator to read."""
        return {
            "id": str(uuid6.uuid7()),
            "consumer": self._consumer,
            "subject": msg.subject,
            "headers": json.dumps(dict(msg.headers)) if msg.headers else None,
            "payload": bytes(msg.data),
            "reason": reason[:_REASON_LENGTH],
        }

    async def _write_dead_letters(self, dead: list[tuple[Any, str]]) -> None:
        # Its own transaction without a tenant context: these rows belong to no
        # tenant we can trust (dead_letter has no RLS for that reason).
        rows = [self._dead_letter_row(msg, reason) for msg, reason in dead]
        async with self._sessionmaker() as session, session.begin():
            await session.execute(
                self._insert_dead_many,
                {
                    "consumer": self._consumer,
                    "ids": [r["id"] for r in rows],
                    "subjects": [r["subject"] for r in rows],
                    "headers": [r["headers"] for r in rows],
                    "payloads": [r["payload"] for r in rows],
                    "reasons": [r["reason"] for r in rows],
                },
            )
        for msg, reason in dead:
            log.warning("consumer %s dead-lettered %s: %s", self._consumer, msg.subject, reason)
