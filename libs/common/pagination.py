"""Keyset pagination's cursor: the (time, id) of the last row of a page, opaque to callers.

Lists ordered newest first by ``(created_at, id)`` continue below the cursor's
pair; an unreadable cursor is 422 naming ``cursor``.
"""

from __future__ import annotations

import base64
import uuid
from datetime import datetime

from libs.common.errors import Invalid

__all__ = ["decode_cursor", "encode_cursor"]


def encode_cursor(at: datetime, row_id: uuid.UUID) -> str:
    raw = f"{at.isoformat()}|{row_id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, row_id = raw.split("|")
        return datetime.fromisoformat(at), uuid.UUID(row_id)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Invalid("cursor", "游标无效") from exc
