"""Production: S3 (MinIO in our deployments) through the ``minio`` SDK.

The SDK blocks, so every call runs in a worker thread. Uploads of unknown
length go through ``put_object(length=-1, part_size=...)``: one PUT up to
``part_size``, multipart above it. The SDK pulls the bytes through
:class:`_HashingReader`, which hashes each piece as it passes, so the digests
cost no second read and memory stays within a couple of parts.

Servers drop object lock headers on multipart uploads, so retention is always
set after the upload and read back (:meth:`S3Store.set_retention`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, AsyncIterator, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, BinaryIO, NoReturn, cast

from minio import Minio
from minio.commonconfig import COMPLIANCE, ENABLED, GOVERNANCE
from minio.error import S3Error
from minio.retention import Retention as MinioRetention
from minio.versioningconfig import VersioningConfig

from ._errors import InvalidRange, ObjectNotFound, RetentionViolation, StorageError
from ._hashing import CHUNK_SIZE, Digester
from ._model import (
    ObjectInfo,
    ObjectStore,
    ObjectStream,
    ObjectVersion,
    Retention,
    RetentionMode,
    Source,
    StoredObject,
    check_bucket_name,
    check_key,
)

__all__ = ["S3Store"]

# S3's smallest part; 10,000 parts of it still carry objects up to ~48 GiB.
MIN_PART_SIZE = 5 * 1024 * 1024
_NOT_FOUND = {"NoSuchKey", "NoSuchBucket", "NoSuchVersion", "NoSuchObjectLockConfiguration"}
_DEFAULT_CONTENT_TYPE = "application/octet-stream"


class _HashingReader:
    """A blocking ``read(n)`` over an async iterable or a file, hashing what it hands out.

    Called from the SDK's worker thread; an async iterable is advanced on the
    event loop that awaits that thread.
    """

    def __init__(self, source: Source, loop: asyncio.AbstractEventLoop, digester: Digester) -> None:
        self._digester = digester
        self._loop = loop
        self._file: BinaryIO | None = None
        self._iter: AsyncIterator[bytes] | None = None
        if isinstance(source, AsyncIterable):
            self._iter = aiter(source)
        else:
            self._file = source
        self._pending = b""
        self._offset = 0
        self._eof = False

    def _next_chunk(self) -> bytes:
        assert self._iter is not None
        future = asyncio.run_coroutine_threadsafe(self._anext(self._iter), self._loop)
        return future.result()

    @staticmethod
    async def _anext(iterator: AsyncIterator[bytes]) -> bytes:
        return await anext(iterator, b"")

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes (exactly ``size`` unless the source ends)."""
        if self._file is not None:
            data = self._file.read(size)
            self._digester.update(data)
            return data
        pieces: list[bytes] = []
        wanted = size if size >= 0 else 1 << 62
        while wanted > 0 and not self._eof:
            if self._offset >= len(self._pending):
                self._pending = self._next_chunk()
                self._offset = 0
                if not self._pending:
                    self._eof = True
                    break
            piece = self._pending[self._offset : self._offset + wanted]
            self._offset += len(piece)
            wanted -= len(piece)
            pieces.append(piece)
        # A single piece is returned as is: no copy of a part-sized buffer.
        data = pieces[0] if len(pieces) == 1 else b"".join(pieces)
        self._digester.update(data)
        return data


def _parse_http_date(value: str | None) -> datetime:
    if not value:
        return datetime.now(UTC)
    return parsedate_to_datetime(value).astimezone(UTC)


def _user_metadata(headers: Mapping[str, str]) -> dict[str, str]:
    prefix = "x-amz-meta-"
    return {k.lower()[len(prefix) :]: v for k, v in headers.items() if k.lower().startswith(prefix)}


class S3Store(ObjectStore):
    """An :class:`ObjectStore` on S3 or MinIO."""

    def __init__(
        self,
        endpoint: str,
        access_key: str,
        secret_key: str,
        secure: bool = True,
        region: str | None = "us-east-1",
        *,
        part_size: int = MIN_PART_SIZE,
        chunk_size: int = CHUNK_SIZE,
        client: Minio | None = None,
    ) -> None:
        if part_size < MIN_PART_SIZE:
            raise ValueError(f"part_size must be at least {MIN_PART_SIZE} bytes")
        self.part_size = part_size
        self.chunk_size = chunk_size
        self.client = client or Minio(
            endpoint, access_key=access_key, secret_key=secret_key, secure=secure, region=region
        )

    # -- errors --------------------------------------------------------------

    @staticmethod
    def _raise(
        exc: S3Error, bucket: str, key: str | None = None, version_id: str | None = None
    ) -> NoReturn:
        code = exc.code or ""
        if code in _NOT_FOUND or (code == "InvalidArgument" and version_id is not None):
            raise ObjectNotFound(bucket, key, version_id) from exc
        if code == "InvalidRange":
            raise InvalidRange(f"byte range outside {bucket}/{key}") from exc
        raise StorageError(f"S3 {code} on {bucket}/{key or ''}: {exc.message}") from exc

    # -- operations ----------------------------------------------------------

    async def ensure_bucket(self, bucket: str, *, object_lock: bool) -> None:
        """Create the bucket, versioned, with object lock when asked.

        See :meth:`ObjectStore.ensure_bucket`.
        """
        check_bucket_name(bucket)

        def _ensure() -> None:
            client = self.client
            try:
                if not client.bucket_exists(bucket):
                    try:
                        client.make_bucket(bucket, object_lock=object_lock)
                    except S3Error as exc:
                        if exc.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                            raise
                elif object_lock:
                    try:
                        client.get_object_lock_config(bucket)
                    except S3Error as exc:
                        if exc.code == "ObjectLockConfigurationNotFoundError":
                            raise StorageError(
                                f"bucket {bucket!r} exists without object lock"
                            ) from exc
                        raise
                # Object lock implies versioning; without it we still want versions.
                if client.get_bucket_versioning(bucket).status != ENABLED:
                    client.set_bucket_versioning(bucket, VersioningConfig(ENABLED))
            except S3Error as exc:
                self._raise(exc, bucket)

        await asyncio.to_thread(_ensure)

    async def _put(
        self, bucket: str, key: str, stream: Source, content_type: str, metadata: dict[str, str]
    ) -> StoredObject:
        """Stream into a new version, multipart above ``part_size``."""
        digester = Digester()
        reader = _HashingReader(stream, asyncio.get_running_loop(), digester)

        def _upload() -> Any:
            try:
                return self.client.put_object(
                    bucket,
                    key,
                    cast(BinaryIO, reader),
                    length=-1,
                    content_type=content_type,
                    metadata=cast(Any, metadata) or None,
                    part_size=self.part_size,
                    # One part in flight: memory stays at about two parts.
                    num_parallel_uploads=1,
                )
            except S3Error as exc:
                self._raise(exc, bucket, key)

        result = await asyncio.to_thread(_upload)
        if not result.version_id:
            raise StorageError(f"bucket {bucket!r} returned no version id: is versioning on?")
        digests = digester.digests()
        return StoredObject(
            bucket=bucket,
            key=key,
            version_id=result.version_id,
            size=digests.size,
            sha256=digests.sha256,
            sm3=digests.sm3,
            content_type=content_type,
            etag=result.etag,
        )

    async def _get(
        self, bucket: str, key: str, version_id: str | None, byte_range: tuple[int, int] | None
    ) -> ObjectStream:
        """Open a GET response and stream its body."""
        offset, length = (0, 0) if byte_range is None else (byte_range[0], 0)
        if byte_range is not None:
            length = byte_range[1] - byte_range[0] + 1

        def _open() -> Any:
            try:
                return self.client.get_object(
                    bucket, key, offset=offset, length=length, version_id=version_id
                )
            except S3Error as exc:
                self._raise(exc, bucket, key, version_id)

        response = await asyncio.to_thread(_open)
        headers = response.headers
        size = int(headers.get("Content-Length", "0"))
        content_range = headers.get("Content-Range")
        if content_range and "/" in content_range:
            size = int(content_range.rsplit("/", 1)[1])
        info = ObjectInfo(
            bucket=bucket,
            key=key,
            version_id=headers.get("x-amz-version-id") or version_id or "",
            size=size,
            etag=(headers.get("ETag") or "").strip('"'),
            content_type=headers.get("Content-Type") or _DEFAULT_CONTENT_TYPE,
            last_modified=_parse_http_date(headers.get("Last-Modified")),
            metadata=_user_metadata(headers),
        )
        body = response.stream(self.chunk_size)
        # A server that ignores Range answers 200 with the whole body (ministack
        # does for versioned GETs): cut the range out here so callers never see it.
        skip, remaining = 0, -1
        if byte_range is not None and response.status == 200:
            if byte_range[0] >= size:
                response.close()
                response.release_conn()
                raise InvalidRange(f"byte range {byte_range!r} starts past the end ({size} bytes)")
            skip = byte_range[0]
            remaining = min(byte_range[1], size - 1) - byte_range[0] + 1

        async def _chunks() -> AsyncIterator[bytes]:
            nonlocal skip, remaining
            while remaining != 0:
                chunk = await asyncio.to_thread(next, body, b"")
                if not chunk:
                    return
                if skip:
                    dropped = min(skip, len(chunk))
                    chunk, skip = chunk[dropped:], skip - dropped
                if remaining > 0:
                    chunk = chunk[:remaining]
                    remaining -= len(chunk)
                if chunk:
                    yield chunk

        async def _close() -> None:
            def _release() -> None:
                response.close()
                response.release_conn()

            await asyncio.to_thread(_release)

        return ObjectStream(info, _chunks(), _close)

    async def stat(self, bucket: str, key: str, version_id: str | None = None) -> ObjectInfo:
        """HEAD the version; see :meth:`ObjectStore.stat`."""

        def _stat() -> ObjectInfo:
            try:
                obj = self.client.stat_object(bucket, key, version_id=version_id)
            except S3Error as exc:
                self._raise(exc, bucket, key, version_id)
            headers = obj.metadata or {}
            return ObjectInfo(
                bucket=bucket,
                key=key,
                version_id=obj.version_id or version_id or "",
                size=obj.size or 0,
                etag=obj.etag or "",
                content_type=obj.content_type or _DEFAULT_CONTENT_TYPE,
                last_modified=obj.last_modified or datetime.now(UTC),
                metadata=_user_metadata(headers),
            )

        return await asyncio.to_thread(_stat)

    async def list_versions(self, bucket: str, prefix: str = "") -> list[ObjectVersion]:
        """List object versions, skipping delete markers; see :meth:`ObjectStore.list_versions`."""

        def _list() -> list[ObjectVersion]:
            found: list[ObjectVersion] = []
            try:
                for obj in self.client.list_objects(
                    bucket, prefix=prefix or None, recursive=True, include_version=True
                ):
                    if obj.is_delete_marker or obj.object_name is None:
                        continue
                    found.append(
                        ObjectVersion(
                            bucket=bucket,
                            key=obj.object_name,
                            version_id=obj.version_id or "",
                            size=obj.size or 0,
                            etag=obj.etag or "",
                            last_modified=obj.last_modified or datetime.now(UTC),
                            is_latest=str(obj.is_latest).lower() == "true",
                        )
                    )
            except S3Error as exc:
                self._raise(exc, bucket)
            return found

        return await asyncio.to_thread(_list)

    async def delete(self, bucket: str, key: str, version_id: str) -> None:
        """Delete one version; a lock refusal becomes :class:`RetentionViolation`."""
        # S3 answers 204 for a version that does not exist: ask first.
        await self.stat(bucket, key, version_id)

        def _remove() -> S3Error | None:
            try:
                self.client.remove_object(bucket, key, version_id=version_id)
            except S3Error as exc:
                if exc.code == "AccessDenied":
                    return exc
                self._raise(exc, bucket, key, version_id)
            return None

        denied = await asyncio.to_thread(_remove)
        if denied is None:
            return
        # Name the lock that refused, so the caller reads why and not just "denied".
        if await self.get_legal_hold(bucket, key, version_id):
            raise RetentionViolation(bucket, key, version_id, "under legal hold") from denied
        retention = await self.get_retention(bucket, key, version_id)
        if retention is not None and retention.until > datetime.now(UTC):
            raise RetentionViolation(
                bucket,
                key,
                version_id,
                f"{retention.mode} retention until {retention.until.isoformat()}",
            ) from denied
        self._raise(denied, bucket, key, version_id)

    async def put_delete_marker(self, bucket: str, key: str) -> str:
        """DELETE without a version id: S3 adds a delete marker and returns its version id.

        Nothing is removed: every version stays readable by its id (locked or
        not), the key just stops answering without one. Only S3 has delete
        markers, so this is not part of :class:`ObjectStore`.
        """
        check_bucket_name(bucket)
        check_key(key)

        def _remove() -> str:
            try:
                response = self.client._execute("DELETE", bucket, key)
            except S3Error as exc:
                self._raise(exc, bucket, key)
            if response.headers.get("x-amz-delete-marker", "").lower() != "true":
                raise StorageError(f"{bucket}/{key}: the server added no delete marker")
            return str(response.headers.get("x-amz-version-id") or "")

        return await asyncio.to_thread(_remove)

    async def _set_retention(
        self, bucket: str, key: str, version_id: str, mode: RetentionMode, until: datetime
    ) -> None:
        """PUT the retention (:meth:`ObjectStore.set_retention` reads it back)."""
        current = await self.get_retention(bucket, key, version_id)
        # Refuse what S3 refuses, with a message that says why (S3 only says AccessDenied).
        if current is not None and current.until > datetime.now(UTC):
            if current.mode == "COMPLIANCE" and mode != "COMPLIANCE":
                raise RetentionViolation(
                    bucket, key, version_id, "COMPLIANCE retention cannot change mode"
                )
            if until < current.until:
                raise RetentionViolation(
                    bucket,
                    key,
                    version_id,
                    f"{current.mode} retention until {current.until.isoformat()} "
                    "cannot be shortened",
                )

        def _set() -> None:
            try:
                self.client.set_object_retention(
                    bucket,
                    key,
                    MinioRetention(COMPLIANCE if mode == "COMPLIANCE" else GOVERNANCE, until),
                    version_id=version_id,
                )
            except S3Error as exc:
                if exc.code == "AccessDenied":
                    raise RetentionViolation(
                        bucket, key, version_id, f"the server refused: {exc.message}"
                    ) from exc
                self._raise(exc, bucket, key, version_id)

        await asyncio.to_thread(_set)

    async def get_retention(self, bucket: str, key: str, version_id: str) -> Retention | None:
        """GET the retention; see :meth:`ObjectStore.get_retention`."""

        def _get() -> Retention | None:
            try:
                got = self.client.get_object_retention(bucket, key, version_id=version_id)
            except S3Error as exc:
                if exc.code == "NoSuchObjectLockConfiguration":
                    return None
                self._raise(exc, bucket, key, version_id)
            if got is None or got.mode is None or got.retain_until_date is None:
                return None
            return Retention(
                mode=cast(RetentionMode, got.mode),
                until=got.retain_until_date.astimezone(UTC),
            )

        return await asyncio.to_thread(_get)

    async def set_legal_hold(self, bucket: str, key: str, version_id: str, *, on: bool) -> None:
        """Enable or disable the legal hold; see :meth:`ObjectStore.set_legal_hold`."""

        def _set() -> None:
            try:
                if on:
                    self.client.enable_object_legal_hold(bucket, key, version_id=version_id)
                else:
                    self.client.disable_object_legal_hold(bucket, key, version_id=version_id)
            except S3Error as exc:
                self._raise(exc, bucket, key, version_id)

        await asyncio.to_thread(_set)

    async def get_legal_hold(self, bucket: str, key: str, version_id: str) -> bool:
        """Whether the legal hold is on; see :meth:`ObjectStore.get_legal_hold`."""

        def _get() -> bool:
            try:
                return bool(
                    self.client.is_object_legal_hold_enabled(bucket, key, version_id=version_id)
                )
            except S3Error as exc:
                if exc.code == "NoSuchObjectLockConfiguration":
                    return False
                self._raise(exc, bucket, key, version_id)

        return await asyncio.to_thread(_get)
