"""Serving stored bytes over HTTP: single byte ranges (RFC 9110 §14) with 206 and 416."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from urllib.parse import quote

from fastapi.responses import StreamingResponse

from libs.common.errors import Problem
from libs.common.storage import InvalidRange, ObjectNotFound, ObjectStore
from services.archive.models import StoredObject
from services.archive.names import safe_filename

__all__ = ["parse_range", "stream_object"]

_RANGE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$", re.IGNORECASE)
# No object is near 10^18 bytes. A longer number is read as "beyond any end"
# rather than converted: int() of a 5,000-digit string raises (Python's
# int_max_str_digits), which answered 500 (issue 16).
_MAX_DIGITS = 18


def _position(digits: str) -> int:
    """A byte position of the header; anything longer than 18 digits is past every end."""
    digits = digits.lstrip("0") or "0"
    return int(digits) if len(digits) <= _MAX_DIGITS else 10**_MAX_DIGITS


def _unsatisfiable(size: int) -> Problem:
    return Problem(
        416,
        "range_not_satisfiable",
        "请求的字节范围无效",
        f"Range: 文件共 {size} 字节",
        headers={"Content-Range": f"bytes */{size}"},
    )


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """``(first, last)`` inclusive for a single-range header, None for the whole body.

    A header we do not understand (several ranges, another unit) is ignored, as
    RFC 9110 allows: the client gets the whole body with 200.
    """
    if not header:
        return None
    match = _RANGE.match(header)
    if not match:
        return None
    first_s, last_s = match.groups()
    if not first_s and not last_s:
        return None
    if not first_s:  # suffix: the last N bytes
        length = _position(last_s)
        if length == 0 or size == 0:
            raise _unsatisfiable(size)
        return max(0, size - length), size - 1
    first = _position(first_s)
    if first >= size:
        raise _unsatisfiable(size)
    last = _position(last_s) if last_s else size - 1
    if last < first:
        return None
    return first, min(last, size - 1)


# What may be sent back as a Content-Type: a versions stored before issue 16 may
# hold a line feed or 255 characters of anything (h11 refuses such a header, and
# the download answered 500); those are served as application/octet-stream.
_MEDIA_TYPE = re.compile(
    r"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,127}/[!#$%&'*+.^_`|~0-9A-Za-z-]{1,127}(?:\s*;[\x20-\x7e]*)?$"
)


def safe_media_type(content_type: str) -> str:
    """``content_type`` when it is a well-formed media type, else application/octet-stream."""
    if len(content_type) <= 255 and _MEDIA_TYPE.match(content_type):
        return content_type
    return "application/octet-stream"


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback and the UTF-8 name (RFC 6266 / 5987)."""
    filename = safe_filename(filename) or "file"
    fallback = filename.encode("ascii", "replace").decode().replace('"', "_").replace("?", "_")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


async def stream_object(
    store: ObjectStore,
    obj: StoredObject,
    *,
    content_type: str,
    filename: str,
    range_header: str | None,
) -> StreamingResponse:
    """A 200 or 206 streaming response of one stored version (its SHA-256 is the ETag)."""
    size = obj.size
    byte_range = parse_range(range_header, size)
    try:
        stream = await store.get(obj.bucket, obj.key, obj.version_id, byte_range=byte_range)
    except ObjectNotFound as exc:
        raise Problem(
            503, "object_unavailable", "文件内容暂不可读取", "存储中找不到该版本，已记录待核查"
        ) from exc
    except InvalidRange as exc:
        raise _unsatisfiable(size) from exc

    async def body() -> AsyncIterator[bytes]:
        async with stream:
            async for chunk in stream:
                yield chunk

    headers = {
        "Accept-Ranges": "bytes",
        "ETag": f'"{obj.sha256}"',
        "Content-Disposition": content_disposition(filename),
    }
    if byte_range is None:
        headers["Content-Length"] = str(size)
        return StreamingResponse(body(), media_type=safe_media_type(content_type), headers=headers)
    first, last = byte_range
    headers["Content-Range"] = f"bytes {first}-{last}/{size}"
    headers["Content-Length"] = str(last - first + 1)
    return StreamingResponse(
        body(), status_code=206, media_type=safe_media_type(content_type), headers=headers
    )
