"""The console's session: signed (HMAC-SHA256), HttpOnly cookies, split in chunks when large.

The console keeps no server-side state (it may run as several replicas behind
a load balancer, and a restart must not log everybody out), so the session
lives in the browser: the access token the services verify, the refresh token
and when the access token expires, the ID token (the ``id_token_hint`` of the
logout), the person's claims from the ID token and a random ``sid`` that binds
the CSRF token to this login. It is signed so that nothing but this console can
have written it; the tokens are the person's own, so they are not encrypted.

Keycloak's three tokens together are 4–6 KiB, more than one cookie may hold
(browsers keep 4096 bytes per cookie), so the value is split over
``govproj_portal``, ``govproj_portal_1``, ... (as oauth2-proxy does) and
joined again on reading.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

from starlette.requests import HTTPConnection
from starlette.responses import Response

__all__ = [
    "COOKIE",
    "FORM_COOKIE",
    "MAX_CHUNKS",
    "binding",
    "clear",
    "current",
    "decode",
    "encode",
    "read",
    "write",
]

COOKIE = "govproj_portal"
# A form posted when the session had ended, kept for one round trip through the login.
FORM_COOKIE = "govproj_portal_form"
# Room for name, attributes and the chunk itself under the browsers' 4096 bytes.
_CHUNK = 3800
MAX_CHUNKS = 4
# Where a request's session is kept once the refresher has looked at it (request.state).
STATE_KEY = "portal_session"


def _sign(secret: str, payload: bytes) -> str:
    mac = hmac.new(secret.encode(), payload, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def encode(secret: str, data: dict[str, Any]) -> str:
    """``data`` as ``<base64 json>.<mac>``."""
    payload = base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode())
    return f"{payload.decode()}.{_sign(secret, payload)}"


def decode(secret: str, value: str | None) -> dict[str, Any]:
    """The data of a cookie this console signed; {} for a missing or forged one."""
    if not value or "." not in value:
        return {}
    payload, mac = value.rsplit(".", 1)
    if not hmac.compare_digest(mac, _sign(secret, payload.encode())):
        return {}
    try:
        data = json.loads(base64.urlsafe_b64decode(payload.encode()))
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _name(index: int) -> str:
    return COOKIE if index == 0 else f"{COOKIE}_{index}"


def read(cookies: Mapping[str, str]) -> str | None:
    """The session cookie's value, its chunks joined (None without a session cookie)."""
    first = cookies.get(COOKIE)
    if first is None:
        return None
    parts = [first]
    for index in range(1, MAX_CHUNKS):
        part = cookies.get(_name(index))
        if part is None:
            break
        parts.append(part)
    return "".join(parts)


def write(
    response: Response, secret: str, data: dict[str, Any], *, secure: bool, max_age: int
) -> None:
    """Set the session cookie(s) to ``data``; chunks a shorter session no longer needs are deleted."""
    value = encode(secret, data)
    chunks = [value[i : i + _CHUNK] for i in range(0, len(value), _CHUNK)]
    if len(chunks) > MAX_CHUNKS:
        # Never a silently truncated session: the caller learns it cannot be kept.
        raise ValueError(f"session of {len(value)} bytes exceeds {MAX_CHUNKS} cookies")
    for index, chunk in enumerate(chunks):
        response.set_cookie(
            _name(index),
            chunk,
            httponly=True,
            samesite="lax",
            secure=secure,
            max_age=max_age,
            path="/",
        )
    for index in range(len(chunks), MAX_CHUNKS):
        response.delete_cookie(_name(index), path="/")


def clear(response: Response) -> None:
    """Delete every chunk of the session cookie."""
    for index in range(MAX_CHUNKS):
        response.delete_cookie(_name(index), path="/")


def current(connection: HTTPConnection, secret: str) -> dict[str, Any]:
    """This request's session: as the refresher left it, else as the cookies say."""
    state = connection.scope.get("state") or {}
    if STATE_KEY in state:
        data: dict[str, Any] = state[STATE_KEY]
        return data
    return decode(secret, read(connection.cookies))


def binding(secret: str, cookies: Mapping[str, str]) -> str:
    """The value the CSRF token is bound to: the session's ``sid`` ("" without a session).

    Not the cookie itself: a refresh rewrites the cookie, and a page rendered a
    moment before must still be able to post its form.
    """
    sid = decode(secret, read(cookies)).get("sid")
    return sid if isinstance(sid, str) else ""
