"""What an object store is: its operations, and the records they return."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import BinaryIO, Literal, Self

from ._errors import InvalidRange, RetentionViolation, StorageError

__all__ = [
    "ObjectInfo",
    "ObjectStore",
    "ObjectStream",
    "ObjectVersion",
    "Retention",
    "RetentionMode",
    "Source",
    "StoredObject",
]

RetentionMode = Literal["COMPLIANCE", "GOVERNANCE"]

#: What ``put`` accepts: an async iterable of chunks, or a binary file object read in a thread.
Source = AsyncIterable[bytes] | BinaryIO

_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
DEFAULT_CONTENT_TYPE = "application/octet-stream"


@dataclass(frozen=True, slots=True)
class StoredObject:
    """One version just written, with the fixity computed while it streamed."""

    bucket: str
    key: str
    version_id: str
    size: int
    sha256: str
    sm3: str
    content_type: str
    etag: str


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    """What the store knows about one version.

    ``sha256`` and ``sm3`` are known to the filesystem backend (it keeps them in
    its sidecar); S3 cannot store digests computed during the upload in the same
    request, so there they are ``None``: keep them from :class:`StoredObject`.
    """

    bucket: str
    key: str
    version_id: str
    size: int
    etag: str
    content_type: str
    last_modified: datetime
    metadata: Mapping[str, str] = field(default_factory=dict)
    sha256: str | None = None
    sm3: str | None = None


@dataclass(frozen=True, slots=True)
class ObjectVersion:
    """One entry of :meth:`ObjectStore.list_versions`."""

    bucket: str
    key: str
    version_id: str
    size: int
    etag: str
    last_modified: datetime
    is_latest: bool


@dataclass(frozen=True, slots=True)
class Retention:
    """An object-lock retention: no deletion of the version before ``until`` (UTC)."""

    mode: RetentionMode
    until: datetime


class ObjectStream:
    """The bytes of one version (or a range of them), read chunk by chunk.

    Iterate it with ``async for``; close it (``aclose`` or ``async with``) if you
    stop early, so the backend releases its file or connection.
    """

    def __init__(
        self,
        info: ObjectInfo,
        chunks: AsyncIterator[bytes],
        close: Callable[[], Awaitable[None]],
    ) -> None:
        self.info = info
        self._chunks = chunks
        self._close = close
        self._closed = False

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> bytes:
        if self._closed:
            raise StopAsyncIteration
        try:
            return await anext(self._chunks)
        except BaseException:
            await self.aclose()
            raise

    async def aclose(self) -> None:
        """Release the backend's resources (idempotent)."""
        if not self._closed:
            self._closed = True
            await self._close()

    async def read_all(self) -> bytes:
        """Read every remaining byte into memory (for small objects and tests)."""
        return b"".join([chunk async for chunk in self])

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


class ObjectStore(ABC):
    """A versioned object store with object lock; every operation is async.

    Objects are addressed by ``(bucket, key, version_id)``: every ``put`` makes a
    new version and nothing is overwritten in place.
    """

    @abstractmethod
    async def ensure_bucket(self, bucket: str, *, object_lock: bool) -> None:
        """Create ``bucket`` if missing, versioned, with object lock when asked.

        Object lock can only be chosen at creation: an existing bucket without
        it raises :class:`StorageError` when ``object_lock`` is asked for.
        """

    async def put(
        self,
        bucket: str,
        key: str,
        stream: Source,
        *,
        content_type: str = DEFAULT_CONTENT_TYPE,
        metadata: Mapping[str, str] | None = None,
    ) -> StoredObject:
        """Stream ``stream`` into a new version of ``key``, hashing it in the same pass.

        Memory stays flat whatever the size. ``metadata`` keys are lower-cased
        and values must be ASCII (S3 sends them as HTTP headers): percent-encode
        anything else.
        """
        check_bucket_name(bucket)
        check_key(key)
        return await self._put(bucket, key, stream, content_type, normalise_metadata(metadata))

    @abstractmethod
    async def _put(
        self, bucket: str, key: str, stream: Source, content_type: str, metadata: dict[str, str]
    ) -> StoredObject:
        """:meth:`put` once the names and the metadata are checked."""

    async def get(
        self,
        bucket: str,
        key: str,
        version_id: str | None = None,
        *,
        byte_range: tuple[int, int] | None = None,
    ) -> ObjectStream:
        """Open a version (the latest when ``version_id`` is None) for streaming.

        ``byte_range`` is ``(first, last)``, both inclusive like HTTP ``Range:
        bytes=first-last``; ``last`` past the end is clamped to the end. Raises
        :class:`ObjectNotFound` before any byte is read, and
        :class:`InvalidRange` for a range starting past the end.
        """
        check_range(byte_range)
        return await self._get(bucket, key, version_id, byte_range)

    @abstractmethod
    async def _get(
        self, bucket: str, key: str, version_id: str | None, byte_range: tuple[int, int] | None
    ) -> ObjectStream:
        """:meth:`get` once the range is checked."""

    @abstractmethod
    async def stat(self, bucket: str, key: str, version_id: str | None = None) -> ObjectInfo:
        """Describe a version (the latest when ``version_id`` is None)."""

    @abstractmethod
    async def list_versions(self, bucket: str, prefix: str = "") -> list[ObjectVersion]:
        """Every version of every key starting with ``prefix``: by key, newest first."""

    @abstractmethod
    async def delete(self, bucket: str, key: str, version_id: str) -> None:
        """Delete one version for good.

        Raises :class:`RetentionViolation` if the version is under retention or
        legal hold, and :class:`ObjectNotFound` if it does not exist.
        """

    async def set_retention(
        self,
        bucket: str,
        key: str,
        version_id: str,
        *,
        mode: RetentionMode = "COMPLIANCE",
        until: datetime,
    ) -> Retention:
        """Lock a version until ``until``, read the lock back and return what was read.

        ``until`` must be timezone-aware and in the future; it is rounded up to
        the whole second (S3 keeps no finer). An active retention can be
        extended but never shortened, and its mode cannot be changed
        (:class:`RetentionViolation`). Raises :class:`StorageError` if the read
        back does not match.
        """
        if mode not in ("COMPLIANCE", "GOVERNANCE"):
            raise ValueError(f"unknown retention mode {mode!r}")
        until = normalise_until(until)
        await self._set_retention(bucket, key, version_id, mode, until)
        read_back = await self.get_retention(bucket, key, version_id)
        if read_back != Retention(mode=mode, until=until):
            raise StorageError(f"retention read back as {read_back!r}, not {mode} until {until}")
        return read_back

    @abstractmethod
    async def _set_retention(
        self, bucket: str, key: str, version_id: str, mode: RetentionMode, until: datetime
    ) -> None:
        """Write a checked retention (``until`` whole seconds, UTC); :meth:`set_retention` reads it back."""

    @abstractmethod
    async def get_retention(self, bucket: str, key: str, version_id: str) -> Retention | None:
        """The retention of a version as the store holds it, or None."""

    @abstractmethod
    async def set_legal_hold(self, bucket: str, key: str, version_id: str, *, on: bool) -> None:
        """Put a legal hold on a version, or lift it."""

    @abstractmethod
    async def get_legal_hold(self, bucket: str, key: str, version_id: str) -> bool:
        """Whether a version is under legal hold."""

    async def aclose(self) -> None:  # noqa: B027 - optional hook, most backends hold nothing
        """Release what the store holds (connections, pools)."""


def check_bucket_name(bucket: str) -> None:
    """Refuse a bucket name S3 would refuse (and that could escape a directory)."""
    if not _BUCKET_RE.match(bucket) or ".." in bucket:
        raise ValueError(f"invalid bucket name {bucket!r}")


def check_key(key: str) -> None:
    """Refuse an empty or oversized key, or one with a NUL."""
    if not key or len(key.encode()) > 1024 or "\x00" in key:
        raise ValueError(f"invalid object key {key!r}")


def normalise_metadata(metadata: Mapping[str, str] | None) -> dict[str, str]:
    """Lower-case the keys and insist on ASCII, as S3 user metadata requires."""
    out: dict[str, str] = {}
    for name, value in (metadata or {}).items():
        if not name.isascii() or not value.isascii() or not name:
            raise ValueError(f"metadata {name!r} must be ASCII: percent-encode it")
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
            raise ValueError(f"metadata name {name!r} may hold only letters, digits, '-', '_', '.'")
        out[name.lower()] = value
    return out


def normalise_until(until: datetime) -> datetime:
    """Round ``until`` up to the whole second in UTC, refusing naive or past times."""
    if until.tzinfo is None or until.utcoffset() is None:
        raise ValueError("retention 'until' must be timezone-aware")
    until = until.astimezone(UTC)
    if until.microsecond:
        until = until.replace(microsecond=0) + timedelta(seconds=1)
    if until <= datetime.now(UTC):
        raise ValueError("retention 'until' must be in the future")
    return until


def check_retention_change(
    bucket: str, key: str, version_id: str, current: Retention | None, wanted: Retention
) -> None:
    """Refuse to weaken an active retention, as S3 does without a governance bypass.

    A lock can grow stronger, never weaker: it can be extended, not shortened,
    and a COMPLIANCE lock keeps its mode. Both backends check it before writing,
    so the caller reads why and not just S3's bare AccessDenied.
    """
    if current is None or current.until <= datetime.now(UTC):
        return
    if current.mode == "COMPLIANCE" and wanted.mode != "COMPLIANCE":
        raise RetentionViolation(bucket, key, version_id, "COMPLIANCE retention cannot change mode")
    if wanted.until < current.until:
        raise RetentionViolation(
            bucket,
            key,
            version_id,
            f"{current.mode} retention until {current.until.isoformat()} cannot be shortened",
        )


def deletion_refusal(retention: Retention | None, *, legal_hold: bool) -> str | None:
    """Why a version under these locks cannot be deleted now, or None when it can."""
    if legal_hold:
        return "under legal hold"
    if retention is not None and retention.until > datetime.now(UTC):
        return f"{retention.mode} retention until {retention.until.isoformat()}"
    return None


def check_range(byte_range: tuple[int, int] | None) -> None:
    """Refuse a negative or reversed range."""
    if byte_range is None:
        return
    first, last = byte_range
    if first < 0 or last < first:
        raise InvalidRange(f"invalid byte range {byte_range!r}")


def clamp_range(byte_range: tuple[int, int] | None, size: int) -> tuple[int, int]:
    """``(offset, length)`` of ``byte_range`` within an object of ``size`` bytes."""
    if byte_range is None:
        return 0, size
    first, last = byte_range
    if first >= size:
        raise InvalidRange(f"byte range {byte_range!r} starts past the end ({size} bytes)")
    return first, min(last, size - 1) - first + 1
