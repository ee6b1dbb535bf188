"""How many service calls a page took, in its ``Server-Timing`` header.

A list page should ask once per list, never once per row; the header lets an
operator (and the browser tests) see that for any page: ``services;desc="calls=3"``.
"""

from __future__ import annotations

from contextvars import ContextVar

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["CallCounter", "count_call"]

# A one-element list, so the request's tasks add to the same tally.
_CALLS: ContextVar[list[int] | None] = ContextVar("portal_service_calls", default=None)


def count_call() -> None:
    """Note one call to a service for the page being answered (outside a request: nothing)."""
    tally = _CALLS.get()
    if tally is not None:
        tally[0] += 1


class CallCounter:
    """ASGI middleware: counts the service calls made while answering, into Server-Timing."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        tally = [0]
        token = _CALLS.set(tally)

        async def send_counted(message: Message) -> None:
            if message["type"] == "http.response.start":
                timing = f'services;desc="calls={tally[0]}"'.encode()
                message["headers"] = [*message.get("headers", []), (b"server-timing", timing)]
            await send(message)

        try:
            await self.app(scope, receive, send_counted)
        finally:
            _CALLS.reset(token)
