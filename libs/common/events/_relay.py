"""The outbox relay: publish committed outbox rows to JetStream, then mark them sent.

At-least-once by construction: a row is marked sent only after JetStream
acknowledged it, in the transaction that holds the row's lock. A crash between
the PubAck and that commit leaves the row unsent; the next relay publishes it
again with the same ``Nats-Msg-Id`` and the stream drops the copy (duplicate
window), and any copy that still got through is dropped by the consumer's inbox.

Several relays may run over one schema: ``FOR UPDATE SKIP LOCKED`` hands each
a disjoint batch. Order: rows are published in id (UUIDv7, creation) order and
one relay's batch reaches the stream in that order over its single
connection, but a row whose publish failed is retried after later rows went
out, and concurrent relays interleave. Consumers must not depend on order
across events (they use aggregate versions or timestamps where it matters).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg  # type: ignore[import-untyped]  # no stubs; only connect and listen are used
from nats.js.errors import APIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from libs.common.events._backoff import Backoff, wait_for_event
from libs.common.events._fault import crash_if_armed
from libs.common.events._outbox import _check_schema, notify_channel, schema_sql
from libs.common.events._pipelined import PipelinedRequests, failed, settle

__all__ = ["OutboxRelay", "RelayStats"]

log = logging.getLogger("govproj.events.relay")


@dataclass
class RelayStats:
    """Counters since the relay started (for logs, metrics and tests)."""

    published: int = 0
    duplicates: int = 0
    failures: int = 0
    batches: int = 0
    last_error: str | None = None


@dataclass(frozen=True)
class _BatchResult:
    claimed: int
    sent: int
    failed: int


def _stored_before(reply: Any) -> bool | BaseException:
    """Read a PubAck as ``js.publish`` does: the duplicate flag, or the error the stream gave."""
    try:
        ack = json.loads(reply.data)
    except ValueError as exc:  # not a PubAck: not known to be stored
        return exc
    if "error" in ack:
        try:
            APIError.from_error(ack["error"])  # raises the error's own class
        except APIError as exc:
            return exc
    return bool(ack.get("duplicate"))


def _listen_dsn(sessionmaker: async_sessionmaker[AsyncSession]) -> str:
    bind = sessionmaker.kw.get("bind")
    if not isinstance(bind, AsyncEngine):
        raise ValueError("pass listen_dsn: the sessionmaker is not bound to one engine")
    return bind.url.set(drivername="postgresql").render_as_string(hide_password=False)


class OutboxRelay:
    """Publish one service schema's outbox to JetStream.

    Parameters
    ----------
    sessionmaker
        Sessions on the relay role's URL (``govproj_relay``): the only role that
        reads every tenant's outbox rows.
    js
        A ``nats.js.JetStreamContext``; its connection should reconnect forever
        (``max_reconnect_attempts=-1``).
    schema
        The service schema whose outbox this relay drains.
    batch_size
        Rows claimed, published back to back and marked per transaction.
    poll_interval
        Seconds between polls when idle and no NOTIFY arrives (the fallback
        when the LISTEN connection is down or a notification was missed).
    busy_poll_interval
        Seconds to linger for more rows after a non-empty, non-full batch:
        emitters send at most one NOTIFY per 10 ms, so while events flow the
        relay polls instead of waiting for one.
    publish_timeout
        Seconds to wait for a batch's PubAcks once its last row is written; a
        row without one by then stays unsent and is published again later.
    min_backoff, max_backoff
        Retry delays after a failed batch (doubling up to the cap). The cap
        bounds the retry horizon that the streams' duplicate window must exceed.
    listen_dsn
        libpq DSN for the LISTEN connection; derived from the sessionmaker's
        engine when omitted.
    """

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        js: Any,
        schema: str,
        *,
        batch_size: int = 256,
        poll_interval: float = 0.25,
        busy_poll_interval: float = 0.02,
        publish_timeout: float = 5.0,
        min_backoff: float = 0.1,
        max_backoff: float = 30.0,
        listen_dsn: str | None = None,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._schema = _check_schema(schema)
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._busy_poll_interval = busy_poll_interval
        self._publish_timeout = publish_timeout
        self._backoff = Backoff(min_backoff, max_backoff)
        # On the JetStream context's own connection: nats-py's publish_async would
        # pipeline too, but never settles a publish the stream refuses (its reply
        # handler raises the APIError instead of setting it), so it would wait out
        # the deadline with the error lost.
        self._requests = PipelinedRequests(js._nc)
        self._listen_dsn = listen_dsn
        self._channel = notify_channel(schema)
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self.stats = RelayStats()
        self._claim = schema_sql(
            "SELECT id, subject, headers, payload::text AS payload FROM {schema}.outbox "
            "WHERE sent_at IS NULL ORDER BY id LIMIT :n FOR UPDATE SKIP LOCKED",
            schema,
        )
        self._mark_sent = schema_sql(
            "UPDATE {schema}.outbox SET sent_at = now(), attempts = attempts + 1 "
            "WHERE id = ANY(:ids)",
            schema,
        )
        self._mark_failed = schema_sql(
            "UPDATE {schema}.outbox SET attempts = attempts + 1, last_error = :error "
            "WHERE id = ANY(:ids)",
            schema,
        )

    def stop(self) -> None:
        """Ask :meth:`run` to return after the batch in flight."""
        self._stopping.set()
        self._wake.set()

    async def run(self) -> None:
        """Relay until :meth:`stop`: wake on NOTIFY, poll as a fallback, back off on errors."""
        listener = asyncio.create_task(self._listen_forever(), name=f"relay-listen-{self._schema}")
        delays = self._backoff.delays()
        try:
            while not self._stopping.is_set():
                # Cleared before the claim: a NOTIFY that lands while the batch
                # is in flight sets it again, so that commit is not slept over.
                self._wake.clear()
                try:
                    result = await self.relay_once()
                except Exception as exc:  # DB down, connection lost: retry, never give up
                    log.warning("relay batch failed: %s", exc)
                    self.stats.last_error = repr(exc)
                    result = _BatchResult(claimed=0, sent=0, failed=1)
                if result.failed:
                    await self._sleep(next(delays))
                    continue
                delays = self._backoff.delays()
                if result.claimed >= self._batch_size:
                    continue  # probably more waiting: no sleep
                # While events flow, emitters skip most NOTIFYs (see emit): linger
                # briefly instead of sleeping until the next one.
                await self._wait_for_work(
                    self._busy_poll_interval if result.claimed else self._poll_interval
                )
        finally:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener

    async def relay_once(self) -> _BatchResult:
        """Claim, publish and mark one batch; returns how many were claimed, sent, failed."""
        async with self._sessionmaker() as session, session.begin():
            # Core statements on the session's connection: the ORM's per-statement
            # machinery buys nothing for three plain SQL statements per batch.
            conn = await session.connection()
            rows = (await conn.execute(self._claim, {"n": self._batch_size})).all()
            if not rows:
                return _BatchResult(0, 0, 0)
            results = await self._publish_all(rows)
            sent_ids = []
            failed_ids = []
            errors = []
            for row, result in zip(rows, results, strict=True):
                if isinstance(result, BaseException):
                    failed_ids.append(row.id)
                    errors.append(f"{type(result).__name__}: {result}")
                else:
                    sent_ids.append(row.id)
                    if result:
                        self.stats.duplicates += 1
            if sent_ids:
                crash_if_armed("relay_after_publish")
                await conn.execute(self._mark_sent, {"ids": sent_ids})
            if failed_ids:
                error = errors[0][:1000]
                await conn.execute(self._mark_failed, {"ids": failed_ids, "error": error})
                self.stats.failures += len(failed_ids)
                self.stats.last_error = error
                log.warning(
                    "relay: %d of %d publishes failed: %s", len(failed_ids), len(rows), error
                )
        self.stats.published += len(sent_ids)
        self.stats.batches += 1
        return _BatchResult(claimed=len(rows), sent=len(sent_ids), failed=len(failed_ids))

    async def _publish_all(self, rows: Sequence[Any]) -> list[bool | BaseException]:
        """Per row: True when JetStream already had it, False when stored, or why it was not.

        Pipelined: every row is written to the connection in id order before
        any PubAck is awaited, so a batch costs one round trip's wait and no
        task per event; the PubAcks are then awaited together, with one deadline.
        """
        futures: list[asyncio.Future[Any]] = []
        for row in rows:
            headers = row.headers
            try:
                futures.append(
                    await self._requests.send(
                        row.subject,
                        row.payload.encode(),
                        json.loads(headers) if isinstance(headers, str) else dict(headers),
                    )
                )
            except Exception as exc:  # the connection is closed or its buffer full
                futures.append(failed(exc))
        return [
            result if isinstance(result, BaseException) else _stored_before(result)
            for result in await settle(futures, self._publish_timeout)
        ]

    async def _sleep(self, seconds: float) -> None:
        await wait_for_event(self._stopping, seconds)

    async def _wait_for_work(self, seconds: float) -> None:
        await wait_for_event(self._wake, seconds)

    async def _listen_forever(self) -> None:
        """Hold a LISTEN connection; reconnect when it drops (polling covers the gap)."""
        dsn = self._listen_dsn or _listen_dsn(self._sessionmaker)
        delays = self._backoff.delays()
        while not self._stopping.is_set():
            conn: asyncpg.Connection | None = None
            try:
                conn = await asyncpg.connect(dsn)
                await conn.add_listener(self._channel, self._on_notify)
                delays = self._backoff.delays()
                # Rows may have committed while nobody listened.
                self._wake.set()
                while not self._stopping.is_set():
                    await self._sleep(10.0)
                    # A dead socket shows up here, not in the listener callback.
                    await conn.fetchval("SELECT 1")
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.info("relay LISTEN connection lost (%s); polling until it is back", exc)
                await self._sleep(next(delays))
            finally:
                if conn is not None:
                    with contextlib.suppress(Exception):
                        await asyncio.wait_for(conn.close(), timeout=2)

    def _on_notify(self, *_: object) -> None:
        self._wake.set()
