"""Per-tenant upload limits and the bound on heavy work (package verification, checks).

- **Upload size**: ``GOVPROJ_ARCHIVE_UPLOAD_LIMIT`` bytes (default 512 MiB) for
  every tenant, ``GOVPROJ_ARCHIVE_UPLOAD_LIMITS`` (``445322=1073741824,...``) for
  some; counted while the file streams, before anything is kept (413).
- **Slow clients**: each read of the body must arrive within
  ``GOVPROJ_ARCHIVE_UPLOAD_READ_TIMEOUT`` seconds (default 30; 408), and no
  database connection is held while the body is read (issue 16: 22 uploads
  sending a byte every 5 s held the pool and every tenant got 500).
- **Heavy work**: at most one package build, verification or 四性检测 per tenant
  at a time, and ``GOVPROJ_ARCHIVE_HEAVY_SLOTS`` (default 2) in a process;
  beyond that 429 with ``Retry-After``, never a queue that grows.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass

from libs.common.errors import Problem

__all__ = ["UploadLimits", "busy", "heavy", "too_large", "upload_limits"]

MiB = 1024 * 1024
DEFAULT_UPLOAD_LIMIT = 512 * MiB


@dataclass(frozen=True, slots=True)
class UploadLimits:
    """How much one tenant may upload at once, and how long a read may take."""

    max_bytes: int
    read_timeout: float


def _per_tenant(raw: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for item in raw.split(","):
        code, _, value = item.strip().partition("=")
        if code and value.strip().isdigit():
            out[code.strip()] = int(value)
    return out


def upload_limits(tenant: str) -> UploadLimits:
    """The tenant's limits from the environment (read on each upload: cheap, and live)."""
    default = int(os.environ.get("GOVPROJ_ARCHIVE_UPLOAD_LIMIT", DEFAULT_UPLOAD_LIMIT))
    limit = _per_tenant(os.environ.get("GOVPROJ_ARCHIVE_UPLOAD_LIMITS", "")).get(tenant, default)
    timeout = float(os.environ.get("GOVPROJ_ARCHIVE_UPLOAD_READ_TIMEOUT", "30"))
    return UploadLimits(max_bytes=limit, read_timeout=timeout)


def too_large(limit: int) -> Problem:
    return Problem(
        413,
        "upload_too_large",
        "上传文件过大",
        f"file: 超过本辖区的上传上限 {limit // MiB} MiB（{limit} 字节），未保存任何内容",
        extra={"field": "file", "limit_bytes": limit},
    )


_running: dict[str, int] = {}


def busy(what: str) -> Problem:
    return Problem(
        429,
        "archive_busy",
        "档案服务繁忙，请稍后再试",
        f"{what}：本辖区已有同类任务在执行，或服务器正忙；请稍后重试",
        headers={"Retry-After": "30"},
    )


@contextlib.contextmanager
def heavy(tenant: str, what: str) -> Iterator[None]:
    """One heavy task per tenant, a few per process; else 429 at once (nothing waits)."""
    slots = int(os.environ.get("GOVPROJ_ARCHIVE_HEAVY_SLOTS", "2"))
    if _running.get(tenant) or sum(_running.values()) >= slots:
        raise busy(what)
    _running[tenant] = 1
    try:
        yield
    finally:
        _running.pop(tenant, None)
