"""NATS requests sent back to back on one connection, their replies awaited together.

``await nc.request(...)`` per message (``js.publish``, ``msg.ack_sync``) costs a
task, a timer and a reply future each, and ``asyncio.gather`` over them a task
more: for a batch of events that bookkeeping was a large part of the relay's
and the consumer's CPU per event. Here each message is written to the
connection's buffer in order (the flusher coalesces them into few socket
writes) and the batch waits once, with one deadline, for all its replies.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Sequence
from typing import Any, TypeVar

from nats.js.api import Header

__all__ = ["PipelinedRequests", "failed", "settle"]

T = TypeVar("T")

# The status of the reply to a request nobody subscribes to.
_NO_RESPONDERS = "503"


def failed(exc: BaseException) -> asyncio.Future[Any]:
    """A future that already holds ``exc``: a send that failed, settled with the rest."""
    future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    future.set_exception(exc)
    return future


async def settle(futures: Sequence[asyncio.Future[T]], within: float) -> list[T | BaseException]:
    """Each future's result or exception, once all are done or ``within`` seconds passed.

    Those still waiting at the deadline are cancelled (which frees what the
    sender holds for them) and reported as :class:`TimeoutError`; so are they
    all if the caller is cancelled meanwhile.
    """
    try:
        waiting = [f for f in futures if not f.done()]
        if waiting:
            await asyncio.wait(waiting, timeout=within)
    finally:
        for future in futures:
            future.cancel()  # a no-op on those that are done
    outcomes: list[T | BaseException] = []
    for future in futures:
        if future.cancelled():
            outcomes.append(TimeoutError(f"no reply within {within}s"))
        elif (exc := future.exception()) is not None:
            outcomes.append(exc)
        else:
            outcomes.append(future.result())
    return outcomes


class PipelinedRequests:
    """Requests on one connection whose replies come back to one wildcard inbox.

    What ``JetStreamContext.publish_async`` does, for any request (the relay's
    publishes, the consumer's double acks): :meth:`send` only buffers the
    message and returns the future of its reply, which the caller reads.
    """

    def __init__(self, nc: Any) -> None:
        self._nc = nc
        self._prefix: str | None = None
        self._subscription: Any = None
        self._tokens = itertools.count()
        self._waiting: dict[str, asyncio.Future[Any]] = {}

    async def send(
        self, subject: str, payload: bytes, headers: dict[str, str] | None = None
    ) -> asyncio.Future[Any]:
        """Buffer one request; the future holds its reply message (or the error)."""
        if self._prefix is None:
            prefix = self._nc.new_inbox()
            self._subscription = await self._nc.subscribe(f"{prefix}.*", cb=self._on_reply)
            self._prefix = prefix
        token = str(next(self._tokens))
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        future.add_done_callback(lambda _: self._waiting.pop(token, None))
        self._waiting[token] = future
        try:
            await self._nc.publish(
                subject, payload, reply=f"{self._prefix}.{token}", headers=headers
            )
        except BaseException:
            future.cancel()
            raise
        return future

    async def close(self) -> None:
        """Stop listening for replies; requests still waiting time out."""
        if self._subscription is not None:
            await self._subscription.unsubscribe()
            self._subscription = None
            self._prefix = None

    async def _on_reply(self, msg: Any) -> None:
        future = self._waiting.get(msg.subject.rsplit(".", 1)[-1])
        if future is None or future.done():
            return  # late: its batch gave up on it
        if msg.headers and msg.headers.get(Header.STATUS) == _NO_RESPONDERS:
            future.set_exception(ConnectionError(f"no responders for {msg.subject}"))
        else:
            future.set_result(msg)
