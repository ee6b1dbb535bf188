"""The archive's view of the object store: one object-locked bucket per tenant.

Every document version the archive accepts is locked COMPLIANCE once its row
has committed, and the lock is read back before the archive reports it
(architecture.md, Files; the order is in :mod:`services.archive.documents.intake`):
the store's ``set_retention`` returns only what it read back.
:meth:`ArchiveStorage.put_locked` (write then lock at once) remains for the
storage benchmark, which measures the store without the database.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime

from libs.common.storage import ObjectStore, Retention, Source, StoredObject

__all__ = ["DEFAULT_BUCKET_PREFIX", "ArchiveStorage", "LockedObject", "retain_until"]

DEFAULT_BUCKET_PREFIX = "govproj-archive-"


def retain_until(years: int, *, now: datetime | None = None) -> datetime:
    """``now`` plus ``years`` calendar years (29 February becomes 28 February)."""
    start = (now or datetime.now(UTC)).astimezone(UTC)
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return start.replace(year=start.year + years, day=28)


@dataclass(frozen=True, slots=True)
class LockedObject:
    """An object version just written, with the lock that was read back."""

    stored: StoredObject
    retention: Retention
    legal_hold: bool


@dataclass
class ArchiveStorage:
    """Buckets per tenant and locked writes on top of an :class:`ObjectStore`."""

    store: ObjectStore
    bucket_prefix: str = DEFAULT_BUCKET_PREFIX
    _ready: set[str] = field(default_factory=set)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @classmethod
    def from_env(cls, store: ObjectStore) -> ArchiveStorage:
        """The prefix may be set per deployment (``GOVPROJ_ARCHIVE_BUCKET_PREFIX``)."""
        return cls(store, os.environ.get("GOVPROJ_ARCHIVE_BUCKET_PREFIX", DEFAULT_BUCKET_PREFIX))

    def bucket_for(self, tenant: str) -> str:
        """The tenant's bucket: its division code is part of the name."""
        return f"{self.bucket_prefix}{tenant}"

    async def ensure_bucket(self, tenant: str) -> str:
        """Create the tenant's bucket (versioned, object lock) once per process."""
        bucket = self.bucket_for(tenant)
        if bucket in self._ready:
            return bucket
        async with self._lock:
            if bucket not in self._ready:
                await self.store.ensure_bucket(bucket, object_lock=True)
                self._ready.add(bucket)
        return bucket

    async def put_locked(
        self,
        tenant: str,
        key: str,
        source: Source,
        *,
        content_type: str,
        years: int,
        legal_hold: bool = False,
        metadata: dict[str, str] | None = None,
    ) -> LockedObject:
        """Stream ``source`` in, then lock it COMPLIANCE for ``years`` and read the lock back.

        If locking fails the object stays in the bucket unlocked and untracked:
        the fixity audit reports it, and nothing claims it is archived.
        """
        bucket = await self.ensure_bucket(tenant)
        stored = await self.store.put(
            bucket, key, source, content_type=content_type, metadata=metadata
        )
        retention = await self.store.set_retention(
            bucket, key, stored.version_id, mode="COMPLIANCE", until=retain_until(years)
        )
        if legal_hold:
            await self.set_legal_hold(bucket, key, stored.version_id, on=True)
        return LockedObject(stored=stored, retention=retention, legal_hold=legal_hold)

    async def set_legal_hold(self, bucket: str, key: str, version_id: str, *, on: bool) -> None:
        """Set or lift a legal hold and read it back."""
        await self.store.set_legal_hold(bucket, key, version_id, on=on)
        if await self.store.get_legal_hold(bucket, key, version_id) != on:
            raise RuntimeError(f"legal hold on {bucket}/{key} ({version_id}) did not read back")
