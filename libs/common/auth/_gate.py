"""The request gate: authenticate and bound a request before its body is read.

FastAPI reads and parses a JSON body before it resolves a route's
dependencies, so without this gate an anonymous client could make a service
parse a 20 MiB body before the 401 (issue 16: ~500 MB of memory on two
services). This pure ASGI middleware runs first, for every request that carries
a body:

1. no bearer token → 401 problem+json at once; the body is never read;
2. the token is verified here (the subject is kept on the request's state, so
   :func:`~libs.common.auth.current_subject` does not verify it twice);
3. a declared ``Content-Length`` above the limit → 413 before reading; a body
   without one (chunked) is counted while the route reads it and refused with
   413 at the limit.

Structured bodies (JSON, forms) get a small limit; uploads
(``multipart/form-data``, ``application/octet-stream``) get the service's
upload limit, which the archive further bounds per tenant while streaming.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.exceptions import HTTPException

from libs.common.errors import PROBLEM_MEDIA_TYPE, Problem

from ._problems import missing_credentials

__all__ = ["RequestGate"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_UPLOAD_TYPES = ("multipart/form-data", "application/octet-stream")


def _too_large(limit: int) -> Problem:
    return Problem(
        413,
        "payload_too_large",
        "请求内容过大",
        f"请求体超过上限 {limit // 1024} KiB，未作任何处理",
        extra={"limit_bytes": limit},
    )


class RequestGate:
    """ASGI middleware: authentication and a size limit before the body is read."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_json_body: int = 1 << 20,
        max_upload_body: int = 1 << 30,
        open_paths: tuple[str, ...] = ("/healthz", "/readyz"),
    ) -> None:
        self.app = app
        self.max_json_body = max_json_body
        self.max_upload_body = max_upload_body
        self.open_paths = open_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _BODY_METHODS:
            await self.app(scope, receive, send)
            return
        if scope["path"] in self.open_paths:
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        try:
            await self._authenticate(scope, headers)
            limit = self._limit(headers)
            declared = headers.get("content-length")
            if declared is not None:
                if not declared.isdigit() or len(declared) > 15:
                    raise Problem(
                        400, "bad_request", "请求格式错误", "Content-Length 不是有效的长度"
                    )
                if int(declared) > limit:
                    raise _too_large(limit)
        except Problem as problem:
            await _answer(scope, send, problem)
            return
        await self.app(scope, _counting(receive, limit), send)

    def _limit(self, headers: dict[str, str]) -> int:
        content_type = headers.get("content-type", "").lower()
        if content_type.startswith(_UPLOAD_TYPES):
            return self.max_upload_body
        return self.max_json_body

    async def _authenticate(self, scope: Scope, headers: dict[str, str]) -> None:
        state = getattr(scope.get("app"), "state", None)
        verifier = getattr(state, "token_verifier", None)
        if verifier is None:
            return  # a worker app or a test app without auth: routes decide
        scheme, _, token = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise missing_credentials()
        tree = getattr(state, "tenant_tree", None)
        subject = await verifier.verify(token.strip(), tenant_tree=tree)
        scope.setdefault("state", {})["subject"] = subject
        scope["state"]["subject_token"] = token.strip()


def _counting(receive: Receive, limit: int) -> Receive:
    seen = 0

    async def counted() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                # An HTTPException, not a Problem: FastAPI turns anything else
                # raised while it reads a body into a 400.
                raise HTTPException(413, detail=_too_large(limit).detail)
        return message

    return counted


async def _answer(scope: Scope, send: Send, problem: Problem) -> None:
    body = json.dumps(problem.to_dict(scope.get("path")), ensure_ascii=False).encode()
    headers = [
        (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
        (b"content-length", str(len(body)).encode()),
        # The body was not read: the connection cannot be reused safely.
        (b"connection", b"close"),
    ]
    headers += [(k.lower().encode(), v.encode()) for k, v in problem.headers.items()]
    await send({"type": "http.response.start", "status": problem.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
