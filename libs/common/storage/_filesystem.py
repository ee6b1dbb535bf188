"""The embedded default: versions as files, their record in a sidecar JSON beside them.

It enforces object lock as S3 does, so that what works on a laptop works in
production: a version under retention or legal hold cannot be deleted, and a
retention cannot be shortened or have its mode weakened.

Layout under ``root``::

    <bucket>/.bucket.json                     {"object_lock": true, ...}
    <bucket>/~<seg>/~<seg>/.v/<version>.data  the bytes, never rewritten
    <bucket>/~<seg>/~<seg>/.v/<version>.json  size, digests, metadata, retention
    <bucket>/~<seg>/~<seg>/.v/.lock           serialises sidecar updates

Each ``/``-separated key segment is percent-encoded and prefixed with ``~``, so
no key can reach outside its bucket or collide with ``.v``. A version exists
once its sidecar exists (written last); version ids are UUIDv7 strings, so the
greatest id is the latest version.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
from collections.abc import AsyncIterable, AsyncIterator, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import quote, unquote

from uuid6 import uuid7

from ._errors import ObjectNotFound, RetentionViolation, StorageError
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
    check_retention_change,
    clamp_range,
    deletion_refusal,
)

__all__ = ["FilesystemStore"]

_VERSIONS = ".v"
_BUCKET_FILE = ".bucket.json"


def _now() -> datetime:
    return datetime.now(UTC)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_json(path: Path, record: Mapping[str, Any]) -> None:
    """Replace ``path`` atomically and durably with ``record``."""
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as out:
        json.dump(record, out, ensure_ascii=False, sort_keys=True)
        out.flush()
        os.fsync(out.fileno())
    tmp.replace(path)
    _fsync_dir(path.parent)


def _read_json(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as src:
        record: dict[str, Any] = json.load(src)
    return record


def _retention_of(record: Mapping[str, Any]) -> Retention | None:
    """The retention a sidecar record (or a change to one) holds."""
    raw = record.get("retention")
    if not raw:
        return None
    return Retention(mode=raw["mode"], until=datetime.fromisoformat(raw["until"]))


class FilesystemStore(ObjectStore):
    """An :class:`ObjectStore` on a local directory (the embedded default)."""

    def __init__(self, root: Path | str, *, chunk_size: int = CHUNK_SIZE) -> None:
        self.root = Path(root)
        self.chunk_size = chunk_size

    # -- paths -------------------------------------------------------------

    def _bucket_dir(self, bucket: str) -> Path:
        check_bucket_name(bucket)
        return self.root / bucket

    def _versions_dir(self, bucket: str, key: str) -> Path:
        check_key(key)
        path = self._bucket_dir(bucket)
        for segment in key.split("/"):
            encoded = "~" + quote(segment, safe="")
            if len(encoded.encode()) > 255:
                raise ValueError(f"object key segment too long for the filesystem: {segment!r}")
            path /= encoded
        return path / _VERSIONS

    def _bucket_config(self, bucket: str) -> dict[str, Any]:
        path = self._bucket_dir(bucket) / _BUCKET_FILE
        try:
            return _read_json(path)
        except FileNotFoundError:
            raise ObjectNotFound(bucket) from None

    def _sidecar(self, bucket: str, key: str, version_id: str | None) -> Path:
        """The sidecar of a version (the latest if None), raising ObjectNotFound."""
        self._bucket_config(bucket)
        vdir = self._versions_dir(bucket, key)
        if version_id is None:
            ids = self._version_ids(vdir)
            if not ids:
                raise ObjectNotFound(bucket, key)
            version_id = ids[-1]
        # A version id is ours (UUIDv7): anything else cannot name a file here.
        if not version_id or "/" in version_id or version_id.startswith("."):
            raise ObjectNotFound(bucket, key, version_id)
        path = vdir / f"{version_id}.json"
        if not path.is_file():
            raise ObjectNotFound(bucket, key, version_id)
        return path

    @staticmethod
    def _version_ids(vdir: Path) -> list[str]:
        try:
            names = [entry.name for entry in vdir.iterdir()]
        except FileNotFoundError:
            return []
        return sorted(n[: -len(".json")] for n in names if n.endswith(".json"))

    @contextlib.contextmanager
    def _locked(self, vdir: Path) -> Iterator[None]:
        """Serialise read-modify-write of sidecars, across threads and processes."""
        with (vdir / ".lock").open("a") as lock:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock.fileno(), fcntl.LOCK_UN)

    @contextlib.contextmanager
    def _locked_record(
        self, bucket: str, key: str, version_id: str
    ) -> Iterator[tuple[Path, dict[str, Any]]]:
        """A version's sidecar and its record, read and held under the lock."""
        sidecar = self._sidecar(bucket, key, version_id)
        with self._locked(sidecar.parent):
            try:
                record = _read_json(sidecar)
            except FileNotFoundError:  # deleted between finding it and locking it
                raise ObjectNotFound(bucket, key, version_id) from None
            yield sidecar, record

    # -- records -----------------------------------------------------------

    @staticmethod
    def _info(bucket: str, record: Mapping[str, Any]) -> ObjectInfo:
        return ObjectInfo(
            bucket=bucket,
            key=record["key"],
            version_id=record["version_id"],
            size=record["size"],
            etag=record["etag"],
            content_type=record["content_type"],
            last_modified=datetime.fromisoformat(record["last_modified"]),
            metadata=dict(record["metadata"]),
            sha256=record["sha256"],
            sm3=record["sm3"],
        )

    # -- operations --------------------------------------------------------

    async def ensure_bucket(self, bucket: str, *, object_lock: bool) -> None:
        """Create the bucket directory and its config; see :meth:`ObjectStore.ensure_bucket`."""

        def _ensure() -> None:
            bdir = self._bucket_dir(bucket)
            bdir.mkdir(parents=True, exist_ok=True)
            config_path = bdir / _BUCKET_FILE
            try:
                config = _read_json(config_path)
            except FileNotFoundError:
                _write_json(
                    config_path,
                    {"object_lock": object_lock, "versioning": True, "created": _now().isoformat()},
                )
                return
            if object_lock and not config.get("object_lock"):
                raise StorageError(f"bucket {bucket!r} exists without object lock")

        await asyncio.to_thread(_ensure)

    async def _put(
        self, bucket: str, key: str, stream: Source, content_type: str, metadata: dict[str, str]
    ) -> StoredObject:
        """Write a new version in chunks, hashing as it goes."""
        await asyncio.to_thread(self._bucket_config, bucket)
        vdir = self._versions_dir(bucket, key)
        await asyncio.to_thread(vdir.mkdir, parents=True, exist_ok=True)
        version_id = str(uuid7())
        data_path = vdir / f"{version_id}.data"
        part_path = vdir / f"{version_id}.data.part"
        digester = Digester()
        out = await asyncio.to_thread(part_path.open, "xb")
        try:

            def _write(chunk: bytes) -> None:
                digester.update(chunk)
                out.write(chunk)

            if isinstance(stream, AsyncIterable):
                async for chunk in stream:
                    if chunk:
                        await asyncio.to_thread(_write, chunk)
            else:
                source: BinaryIO = stream

                def _copy() -> None:
                    while chunk := source.read(self.chunk_size):
                        _write(chunk)

                await asyncio.to_thread(_copy)

            def _commit() -> dict[str, Any]:
                out.flush()
                os.fsync(out.fileno())
                out.close()
                part_path.replace(data_path)
                digests = digester.digests()
                record: dict[str, Any] = {
                    "key": key,
                    "version_id": version_id,
                    "size": digests.size,
                    "sha256": digests.sha256,
                    "sm3": digests.sm3,
                    "etag": digests.sha256,
                    "content_type": content_type,
                    "metadata": metadata,
                    "last_modified": _now().isoformat(),
                    "retention": None,
                    "legal_hold": False,
                }
                # The sidecar comes last: a version exists only once it is whole.
                _write_json(vdir / f"{version_id}.json", record)
                return record

            record = await asyncio.to_thread(_commit)
        except BaseException:
            out.close()
            with contextlib.suppress(FileNotFoundError):
                part_path.unlink()
            raise
        return StoredObject(
            bucket=bucket,
            key=key,
            version_id=version_id,
            size=record["size"],
            sha256=record["sha256"],
            sm3=record["sm3"],
            content_type=content_type,
            etag=record["etag"],
        )

    async def _get(
        self, bucket: str, key: str, version_id: str | None, byte_range: tuple[int, int] | None
    ) -> ObjectStream:
        """Open a version's file for chunked reading."""

        def _open() -> tuple[ObjectInfo, BinaryIO, int]:
            sidecar = self._sidecar(bucket, key, version_id)
            info = self._info(bucket, _read_json(sidecar))
            offset, length = clamp_range(byte_range, info.size)
            src = sidecar.with_name(f"{info.version_id}.data").open("rb")
            src.seek(offset)
            return info, src, length

        info, src, length = await asyncio.to_thread(_open)
        chunk_size = self.chunk_size

        async def _chunks() -> AsyncIterator[bytes]:
            remaining = length
            while remaining > 0:
                chunk = await asyncio.to_thread(src.read, min(chunk_size, remaining))
                if not chunk:
                    raise StorageError(f"{bucket}/{key} is shorter than its record")
                remaining -= len(chunk)
                yield chunk
            # A whole read also checks the end: bytes appended behind the store's
            # back would otherwise go unseen by anyone re-verifying fixity.
            tail: bytes = await asyncio.to_thread(src.read, 1) if byte_range is None else b""
            if tail:
                raise StorageError(f"{bucket}/{key} is longer than its record")

        async def _close() -> None:
            await asyncio.to_thread(src.close)

        return ObjectStream(info, _chunks(), _close)

    async def stat(self, bucket: str, key: str, version_id: str | None = None) -> ObjectInfo:
        """Read a version's sidecar; see :meth:`ObjectStore.stat`."""

        def _stat() -> ObjectInfo:
            return self._info(bucket, _read_json(self._sidecar(bucket, key, version_id)))

        return await asyncio.to_thread(_stat)

    async def list_versions(self, bucket: str, prefix: str = "") -> list[ObjectVersion]:
        """Walk the bucket's tree; see :meth:`ObjectStore.list_versions`."""

        def _list() -> list[ObjectVersion]:
            bdir = self._bucket_dir(bucket)
            self._bucket_config(bucket)
            # Descend straight to the deepest directory every match must be under.
            start = bdir
            for segment in prefix.split("/")[:-1]:
                start /= "~" + quote(segment, safe="")
            found: list[ObjectVersion] = []
            for dirpath, dirnames, _ in os.walk(start):
                if _VERSIONS not in dirnames:
                    continue
                rel = Path(dirpath).relative_to(bdir)
                key = "/".join(unquote(part[1:]) for part in rel.parts)
                if not key.startswith(prefix):
                    continue
                ids = self._version_ids(Path(dirpath) / _VERSIONS)
                for index, vid in enumerate(reversed(ids)):
                    try:
                        record = _read_json(Path(dirpath) / _VERSIONS / f"{vid}.json")
                    except FileNotFoundError:  # deleted meanwhile
                        continue
                    found.append(
                        ObjectVersion(
                            bucket=bucket,
                            key=key,
                            version_id=vid,
                            size=record["size"],
                            etag=record["etag"],
                            last_modified=datetime.fromisoformat(record["last_modified"]),
                            is_latest=index == 0,
                        )
                    )
            found.sort(key=lambda v: (v.key, v.version_id), reverse=True)
            found.sort(key=lambda v: v.key)
            return found

        return await asyncio.to_thread(_list)

    async def delete(self, bucket: str, key: str, version_id: str) -> None:
        """Remove a version unless it is locked; see :meth:`ObjectStore.delete`."""

        def _delete() -> None:
            with self._locked_record(bucket, key, version_id) as (sidecar, record):
                refusal = deletion_refusal(
                    _retention_of(record), legal_hold=bool(record.get("legal_hold"))
                )
                if refusal is not None:
                    raise RetentionViolation(bucket, key, version_id, refusal)
                sidecar.unlink()
                sidecar.with_name(f"{version_id}.data").unlink(missing_ok=True)

        await asyncio.to_thread(_delete)

    def _update(
        self, bucket: str, key: str, version_id: str, change: dict[str, Any]
    ) -> dict[str, Any]:
        """Apply ``change`` to a version's sidecar under the lock, checking object lock."""
        if not self._bucket_config(bucket).get("object_lock"):
            raise StorageError(f"bucket {bucket!r} has no object lock configuration")
        with self._locked_record(bucket, key, version_id) as (sidecar, record):
            wanted = _retention_of(change)
            if wanted is not None:
                check_retention_change(bucket, key, version_id, _retention_of(record), wanted)
            record.update(change)
            _write_json(sidecar, record)
            return record

    async def _set_retention(
        self, bucket: str, key: str, version_id: str, mode: RetentionMode, until: datetime
    ) -> None:
        """Record the retention in the sidecar (``_update`` checks it against the current one)."""
        wanted = {"mode": mode, "until": until.isoformat()}
        await asyncio.to_thread(self._update, bucket, key, version_id, {"retention": wanted})

    async def get_retention(self, bucket: str, key: str, version_id: str) -> Retention | None:
        """Read the retention from the sidecar; see :meth:`ObjectStore.get_retention`."""

        def _get() -> Retention | None:
            return _retention_of(_read_json(self._sidecar(bucket, key, version_id)))

        return await asyncio.to_thread(_get)

    async def set_legal_hold(self, bucket: str, key: str, version_id: str, *, on: bool) -> None:
        """Record the legal hold in the sidecar; see :meth:`ObjectStore.set_legal_hold`."""
        await asyncio.to_thread(self._update, bucket, key, version_id, {"legal_hold": on})

    async def get_legal_hold(self, bucket: str, key: str, version_id: str) -> bool:
        """Read the legal hold from the sidecar; see :meth:`ObjectStore.get_legal_hold`."""

        def _get() -> bool:
            return bool(_read_json(self._sidecar(bucket, key, version_id)).get("legal_hold"))

        return await asyncio.to_thread(_get)
