"""A signed (HMAC-SHA256), HttpOnly session cookie: who is logged in, and the login in flight.

The cookie holds the access token the services verify; it is signed so that
nothing but this console can have written it, and the services verify the
token itself on every call anyway.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

__all__ = ["COOKIE", "decode", "encode"]

COOKIE = "govproj_portal"


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
