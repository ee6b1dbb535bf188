"""Waiting for another service to catch up on an event, in the cross-service tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from libs.common.testing.platform import eventually

__all__ = ["until_body"]


def until_body(
    read: Callable[[], httpx.Response],
    ready: Callable[[dict[str, Any]], bool],
    *,
    timeout: float,
    what: str,
) -> dict[str, Any]:
    """Repeat ``read`` until it answers 200 with a body ``ready`` accepts; that body.

    Events reach the other services a moment after the request that caused them, so
    a test polls; when the time runs out it fails with ``what`` and the last body seen
    (or, while it is refused, the status and text of the refusal).
    """
    seen: dict[str, Any] = {}

    def done() -> bool:
        r = read()
        seen.clear()
        if r.status_code != 200:
            seen.update(status_code=r.status_code, text=r.text)
            return False
        seen.update(r.json())
        return ready(seen)

    try:
        eventually(done, timeout=timeout)
    except AssertionError:
        raise AssertionError(f"{what}: {seen}") from None
    return seen
