"""Running an event consumer inside a test until what the test waits for has happened."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import Awaitable, Callable

from libs.common.events import ConsumerRunner

__all__ = ["run_until"]


async def run_until(
    runner: ConsumerRunner,
    done: Callable[[], bool | Awaitable[bool]],
    *,
    seconds: float = 30.0,
    stop_timeout: float = 10.0,
) -> None:
    """Run ``runner`` until ``done()`` holds or ``seconds`` pass; always stop it.

    Returns either way: the test then asserts what it expected, so a timeout
    fails on the assertion that names what did not happen.
    """
    task = asyncio.create_task(runner.run())
    try:
        for _ in range(round(seconds / 0.1)):
            answer = done()
            if await answer if inspect.isawaitable(answer) else answer:
                break
            await asyncio.sleep(0.1)
    finally:
        runner.stop()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, timeout=stop_timeout)
