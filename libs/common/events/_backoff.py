"""Retrying a step that failed (a batch, a connection) without hammering what failed."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = ["Backoff", "wait_for_event"]


@dataclass(frozen=True)
class Backoff:
    """Delays between retries: ``first``, then doubling after each failure, never above ``most``."""

    first: float
    most: float

    def delays(self) -> Iterator[float]:
        """The delays of one run of failures; start a fresh run after a success."""
        delay = self.first
        while True:
            yield delay
            delay = min(delay * 2, self.most)


async def wait_for_event(event: asyncio.Event, seconds: float) -> None:
    """Wait up to ``seconds``, returning early once ``event`` is set (a stop, a wake-up)."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(event.wait(), timeout=seconds)
