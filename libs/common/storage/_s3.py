"""Production: S3 (MinIO in our deployments) through the ``minio`` SDK.

The SDK blocks, so every call runs in a worker thread. Uploads of unknown
length are one PUT below ``part_size`` and multipart from it, driven here
rather than by ``put_object``: part N uploads in a worker thread while the
event loop reads part N+1 and a hashing thread digests it (SM3 and SHA-256),
so reading, hashing and uploading overlap instead of taking turns
(``put_object`` reads and uploads in turn, and its parallel mode leaks its
threads when the source fails). The digests cost no second read and memory
stays within about two parts. The part calls are the SDK's own
(``_create_multipart_upload``, ``_upload_part``, ...), used as ``put_object`` uses
them; the storage tests cover them against a real S3 server.

Servers drop object lock headers on multipart uploads, so retention is always
set after the upload and read back (:meth:`S3Store.set_retention`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, NoReturn, cast

from minio import Minio
from minio.commonconfig import COMPLIANCE, ENABLED, GOVERNANCE
from minio.datatypes import Part
from minio.error import S3Error
from minio.helpers import genheaders
from minio.retention import Retention as MinioRetention
from minio.versioningconfig import VersioningConfig

from ._errors import InvalidRange, ObjectNotFound, RetentionViolation, StorageError
from ._hashing import CHUNK_SIZE, BackgroundDigester, file_chunks
from ._model import (
    DEFAULT_CONTENT_TYPE,
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
    check_retention_change,
    deletion_refusal,
)

__all__ = ["S3Store"]

# S3's smallest part; 10,000 parts of it still carry objects up to ~48 GiB.
MIN_PART_SIZE = 5 * 1024 * 1024
_MAX_PARTS = 10_000
_NOT_FOUND = {"NoSuchKey", "NoSuchBucket", "NoSuchVersion", "NoSuchObjectLockConfiguration"}


async def _parts(
    source: Source, digester: BackgroundDigester, *, part_size: int, chunk_size: int
) -> AsyncGenerator[bytes, None]:
    """``source`` cut into parts of exactly ``part_size`` bytes (the last one shorter, never empty).

    Each chunk goes to the hashing thread as it arrives, so a part is hashed
    while it is read and while the part before it uploads. A part is copied
    once, when it is joined; the pieces are views of the chunks.
    """
    chunks = source if isinstance(source, AsyncIterable) else file_chunks(source, chunk_size)
    pending: list[memoryview] = []
    size = 0
    async for chunk in chunks:
        if not chunk:
            continue
        await digester.update(chunk)
        view = memoryview(chunk)
        while size + len(view) >= part_size:
            take = part_size - size
            pending.append(view[:take])
            view = view[take:]
            joined = b"".join(pending)
            pending, size = [], 0
            yield joined
            del joined  # the upload holds it now, and frees it when done
        if view:
            pending.append(view)
            size += len(view)
    if pending:
        yield b"".join(pending)


def _parse_http_date(value: str | None) -> datetime:
    if not value:
        return datetime.now(UTC)
    return parsedate_to_datetime(value).astimezone(UTC)


def _release(response: Any) -> None:
    """Close a GET response and hand its connection back to the pool."""
    response.close()
    response.release_conn()


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
        """Stream into a new version: one PUT below ``part_size``, multipart from it."""
        digester = BackgroundDigester()
        parts = _parts(stream, digester, part_size=self.part_size, chunk_size=self.chunk_size)
        headers = genheaders(cast(Any, metadata) or None, None, None, None, False)
        headers["Content-Type"] = content_type
        try:
            first = await anext(parts, b"")
            if len(first) < self.part_size:  # the source ended within one part
                result = await asyncio.to_thread(
                    self.client._put_object, bucket, key, first, headers
                )
                version_id, etag = result.version_id, result.etag
            else:
                uploading = self._multipart(bucket, key, first, parts, headers)
                del first  # the upload frees each part once it is sent
                version_id, etag = await uploading
        except S3Error as exc:
            self._raise(exc, bucket, key)
        finally:
            await parts.aclose()  # on a failure, the source is closed now, not when collected
        if not version_id:
            raise StorageError(f"bucket {bucket!r} returned no version id: is versioning on?")
        digests = await digester.digests()
        return StoredObject(
            bucket=bucket,
            key=key,
            version_id=version_id,
            size=digests.size,
            sha256=digests.sha256,
            sm3=digests.sm3,
            content_type=content_type,
            etag=etag or "",
        )

    async def _multipart(
        self,
        bucket: str,
        key: str,
        first: bytes,
        parts: AsyncIterator[bytes],
        headers: dict[str, Any],
    ) -> tuple[str | None, str | None]:
        """Upload part N in a worker thread while part N+1 is read and hashed; version id, ETag.

        Memory holds the part in flight and the one being read: about two
        parts, whatever the object's size. Any failure (the source's too)
        aborts the upload, once the part in flight has settled, and re-raises.
        """
        client = self.client
        upload_id: str = await asyncio.to_thread(
            client._create_multipart_upload, bucket, key, dict(headers)
        )
        done: list[Part] = []
        in_flight: asyncio.Future[str] | None = None
        try:
            part: bytes | None = first
            del first
            while part is not None:
                number = len(done) + 1
                if number > _MAX_PARTS:
                    raise StorageError(
                        f"{bucket}/{key}: more than {_MAX_PARTS} parts of {self.part_size} bytes"
                    )
                in_flight = asyncio.ensure_future(
                    asyncio.to_thread(
                        client._upload_part, bucket, key, part, None, upload_id, number
                    )
                )
                part = None  # the upload holds it; it is freed when that ends
                part = await anext(parts, None)
                done.append(Part(number, await in_flight))
                in_flight = None
            completed = await asyncio.to_thread(
                client._complete_multipart_upload, bucket, key, upload_id, done
            )
        except BaseException:
            if in_flight is not None:
                # Cancelled while waiting for it, the part may be cancelled too: go on to abort.
                with contextlib.suppress(BaseException):
                    await in_flight
            with contextlib.suppress(Exception):
                await asyncio.to_thread(client._abort_multipart_upload, bucket, key, upload_id)
            raise
        return completed.version_id, completed.etag

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
            content_type=headers.get("Content-Type") or DEFAULT_CONTENT_TYPE,
            last_modified=_parse_http_date(headers.get("Last-Modified")),
            metadata=_user_metadata(headers),
        )
        body = response.stream(self.chunk_size)
        # A server that ignores Range answers 200 with the whole body (ministack
        # does for versioned GETs): cut the range out here so callers never see it.
        skip, remaining = 0, -1
        if byte_range is not None and response.status == 200:
            if byte_range[0] >= size:
                _release(response)
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
            await asyncio.to_thread(_release, response)

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
                content_type=obj.content_type or DEFAULT_CONTENT_TYPE,
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
        refusal = deletion_refusal(
            await self.get_retention(bucket, key, version_id),
            legal_hold=await self.get_legal_hold(bucket, key, version_id),
        )
        if refusal is not None:
            raise RetentionViolation(bucket, key, version_id, refusal) from denied
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
        check_retention_change(bucket, key, version_id, current, Retention(mode, until))

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
