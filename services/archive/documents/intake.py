"""Taking an upload in: stream first, then a short transaction, then the lock.

Issue 16 found two faults in the old order (transaction, bytes, lock, rows):

- the transaction was opened before the body was read, so 22 clients sending
  a byte every 5 s held every pooled connection and all tenants got 500;
- the object was locked COMPLIANCE before its row was written, so a request
  refused afterwards (a Content-Type over 255 characters) left an object no
  one could delete for a hundred years.

Now: (1) a short transaction checks what can be checked before a byte is kept
(the project in the replica, the unit scope, the document); (2) the body
streams to the store, unlocked, with a per-read timeout and the tenant's size
limit, and no connection held; (3) a short transaction writes the rows (and
the idempotency answer) and commits; (4) the version is locked and the lock
read back onto its row. A failure in (2) or (3) deletes the unlocked object; a
crash between (3) and (4) leaves ``locked_at`` NULL, which the fixity audit
completes (:func:`lock_pending`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import ClientDisconnect
from uuid6 import uuid7

from libs.common.auth import Access
from libs.common.db import TenantContext, transaction
from libs.common.errors import Problem
from libs.common.idempotency import HEADER, KeyRow
from libs.common.storage import StoredObject as Stored
from services.archive.documents import service
from services.archive.documents.schemas import DocumentCreate
from services.archive.limits import UploadLimits, too_large
from services.archive.models import StoredObject, idempotency_keys
from services.archive.replica import require_project
from services.archive.storage import ArchiveStorage

__all__ = [
    "Incoming",
    "UploadKey",
    "deposit_document",
    "deposit_version",
    "drain",
    "fingerprint",
    "lock_pending",
    "timed",
]

log = logging.getLogger(__name__)

Sessions = async_sessionmaker[AsyncSession]
# Called in the transaction that writes the rows, with the answer and the file's SHA-256.
OnCommit = Callable[[AsyncSession, dict[str, Any], str], Awaitable[None]]


def _timeout(seconds: float) -> Problem:
    return Problem(
        408,
        "upload_timeout",
        "上传超时",
        f"{seconds:g} 秒内未收到上传数据，上传已中止，未保存任何内容",
    )


async def timed(stream: AsyncIterator[bytes], seconds: float) -> AsyncIterator[bytes]:
    """The request body, each read bounded by ``seconds`` (a stalled client gets 408)."""
    while True:
        try:
            chunk = await asyncio.wait_for(anext(stream, None), timeout=seconds)
        except TimeoutError:
            raise _timeout(seconds) from None
        except ClientDisconnect:
            # Nobody will read the answer; a 4xx keeps it out of the error log
            # (and the store discards the partial upload as for any refusal).
            raise Problem(
                400, "client_disconnected", "上传中断", "客户端在上传完成前断开，未保存任何内容"
            ) from None
        if chunk is None:
            return
        yield chunk


@dataclass
class _Counted:
    """The file's bytes, counted against the limit (and hashed when nothing else hashes them)."""

    source: AsyncIterator[bytes]
    limit: int
    size: int = 0
    # The store hashes what it keeps; only a replayed upload, read and dropped, is hashed here.
    hashing: bool = False

    def __post_init__(self) -> None:
        self.sha256 = hashlib.sha256()

    async def chunks(self) -> AsyncIterator[bytes]:
        async for chunk in self.source:
            self.size += len(chunk)
            if self.size > self.limit:
                raise too_large(self.limit)
            if self.hashing:
                self.sha256.update(chunk)
            yield chunk


def fingerprint(
    path: str, fields: dict[str, str], filename: str, content_type: str, sha256: str
) -> str:
    """What an upload is, for ``Idempotency-Key``: the route, its fields and the file's digest."""
    canonical = json.dumps(
        {
            "path": path,
            "fields": fields,
            "filename": filename,
            "type": content_type,
            "sha256": sha256,
        },
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


class UploadKey:
    """``Idempotency-Key`` for an upload, where the body cannot be held to be fingerprinted.

    The key is claimed (committed) before the body is read: a concurrent retry
    with the same key gets 409 instead of a second object. When the key was
    used before, the body is read and hashed but not stored, and the first
    answer is replayed (or 422 when the request differs). A key whose upload
    died half-way (no answer after ``stale``) may be taken over.
    """

    PENDING = "pending"

    def __init__(
        self, sessions: Sessions, ctx: TenantContext, key: str | None, *, stale: timedelta
    ) -> None:
        self.sessions = sessions
        self.ctx = ctx
        self.row = KeyRow(idempotency_keys, ctx.tenant, key) if key is not None else None
        self.stale = stale
        self.claimed = False

    async def begin(self) -> dict[str, Any] | None:
        """Claim the key; the earlier answer's row when the key was used before."""
        if self.row is None:
            return None
        now = datetime.now(UTC)
        async with transaction(self.sessions, self.ctx) as session:
            earlier = await self.row.claim(session, self.PENDING, at=now, lock=True)
            if earlier is not None:
                if earlier["status_code"] is not None:
                    return dict(earlier)
                if earlier["created_at"] > now - self.stale:
                    raise Problem(
                        409,
                        "idempotency_in_progress",
                        "同一幂等键的上传正在处理中",
                        f"{HEADER}: 使用该键的上传尚未完成，请稍后用同一键重试",
                        extra={"field": HEADER},
                    )
                # Taken over: the stale upload's key is this one's now.
                await session.execute(
                    sa.update(self.row.table).where(self.row.selects()).values(created_at=now)
                )
            self.claimed = True
            return None

    async def finish(
        self, session: AsyncSession, *, fingerprint: str, body: dict[str, Any], location: str
    ) -> None:
        """Store the answer with the rows (same transaction)."""
        if self.claimed and self.row is not None:
            await self.row.answer(session, 201, body, location=location, fingerprint=fingerprint)

    async def release(self) -> None:
        """The upload failed before its answer: free the key so a retry runs."""
        if not self.claimed or self.row is None:
            return
        unanswered = sa.and_(self.row.selects(), self.row.table.c.status_code.is_(None))
        with contextlib.suppress(Exception):  # the key then ages into "stale"
            async with transaction(self.sessions, self.ctx) as session:
                await session.execute(sa.delete(self.row.table).where(unanswered))


async def _discard(storage: ArchiveStorage, stored: Stored) -> None:
    """Delete an object no row accepted (it is unlocked: it can be deleted)."""
    try:
        await storage.store.delete(stored.bucket, stored.key, stored.version_id)
    except Exception:  # the audit reports it as untracked (and it is not locked)
        log.warning(
            "could not delete refused upload %s/%s", stored.key, stored.version_id, exc_info=True
        )


@dataclass(frozen=True)
class Incoming:
    """A file as it arrives: its name and type as sent, its bytes as they stream, their limits."""

    filename: str
    content_type: str
    source: AsyncIterator[bytes]
    limits: UploadLimits


async def _store(
    storage: ArchiveStorage, *, tenant: str, document_id: uuid.UUID, incoming: Incoming
) -> Stored:
    """Stream ``incoming`` into the tenant's bucket under the document's key, within its limits."""
    counted = _Counted(incoming.source, incoming.limits.max_bytes)
    bucket = await storage.ensure_bucket(tenant)
    metadata = {
        "tenant": tenant,
        "document-id": str(document_id),
        "filename": quote(incoming.filename),
    }
    return await storage.store.put(
        bucket,
        service.document_key(document_id),
        counted.chunks(),
        content_type=incoming.content_type,
        metadata=metadata,
    )


async def drain(source: AsyncIterator[bytes], limits: UploadLimits) -> str:
    """Read an upload without keeping it (a replayed key): its SHA-256."""
    counted = _Counted(source, limits.max_bytes, hashing=True)
    async for _ in counted.chunks():
        pass
    return counted.sha256.hexdigest()


async def _lock_and_read(
    sessions: Sessions,
    ctx: TenantContext,
    storage: ArchiveStorage,
    object_id: uuid.UUID,
    read: Callable[[AsyncSession], Awaitable[dict[str, Any]]],
) -> dict[str, Any]:
    async with transaction(sessions, ctx) as session:
        obj = await session.get(StoredObject, object_id)
        if obj is None:  # deleted in between: nothing to lock
            return await read(session)
        try:
            retention, held = await service.lock_object(storage, obj)
        except Exception:
            # Committed but not locked: the audit locks it (lock_pending). The
            # answer shows retention_mode null: the archive does not say "locked"
            # before it has read the lock back.
            log.warning(
                "lock of %s/%s failed; left to the audit", obj.key, obj.version_id, exc_info=True
            )
        else:
            service.mark_locked(obj, retention, held)
            await session.flush()
        return await read(session)


async def deposit_document(
    sessions: Sessions,
    storage: ArchiveStorage,
    *,
    ctx: TenantContext,
    access: Access | None,
    meta: DocumentCreate,
    incoming: Incoming,
    actor: dict[str, Any],
    on_commit: OnCommit | None = None,
) -> dict[str, Any]:
    """Stream a new document in, record it, then lock it; the document as the API shows it."""
    tenant = ctx.tenant
    unit: uuid.UUID | None = None
    if access is not None and access.own_unit():
        unit = uuid.UUID(str(access.own_unit()))
    if meta.project_id is not None:
        async with transaction(sessions, ctx) as session:
            project = await require_project(session, meta.project_id, access=access, tenant=tenant)
            unit = project.unit_id
    document_id = uuid7()
    stored = await _store(storage, tenant=tenant, document_id=document_id, incoming=incoming)
    try:
        async with transaction(sessions, ctx) as session:
            if meta.project_id is not None:
                # Again, in the transaction that files it (the replica may have moved on).
                await require_project(session, meta.project_id, access=access, tenant=tenant)
            await service.create_document_rows(
                session,
                tenant=tenant,
                document_id=document_id,
                meta=meta,
                unit_id=unit,
                stored=stored,
                filename=incoming.filename,
                content_type=incoming.content_type,
                actor=actor,
            )
            _, obj = await service.get_version(session, document_id, None)
            object_id = obj.id
            if on_commit is not None:
                await on_commit(
                    session, await service.read_document(session, document_id), stored.sha256
                )
    except BaseException:
        await _discard(storage, stored)
        raise
    return await _lock_and_read(
        sessions, ctx, storage, object_id, lambda s: service.read_document(s, document_id)
    )


async def deposit_version(
    sessions: Sessions,
    storage: ArchiveStorage,
    *,
    ctx: TenantContext,
    access: Access | None,
    document_id: uuid.UUID,
    incoming: Incoming,
    actor: dict[str, Any],
    on_commit: OnCommit | None = None,
) -> dict[str, Any]:
    """Stream a new version of a document in, record it, then lock it."""
    # Before a byte is kept: the document is the caller's tenant's, and its unit's.
    async with transaction(sessions, ctx) as session:
        document = await service.get_document(session, document_id)
        if document.tenant_id != ctx.tenant:
            raise Problem.not_found("文件", document_id)
        if access is not None:
            access.check(service.document_scope(document))
    stored = await _store(storage, tenant=ctx.tenant, document_id=document_id, incoming=incoming)
    try:
        async with transaction(sessions, ctx) as session:
            document = await service.get_document(session, document_id)
            if access is not None:
                access.check(service.document_scope(document))
            version, obj = await service.add_version_rows(
                session,
                tenant=ctx.tenant,
                document_id=document_id,
                stored=stored,
                filename=incoming.filename,
                content_type=incoming.content_type,
                actor=actor,
            )
            object_id, version_id = obj.id, version.version_id
            if on_commit is not None:
                await on_commit(session, service.version_dict(version, obj), stored.sha256)
    except BaseException:
        await _discard(storage, stored)
        raise

    async def read(session: AsyncSession) -> dict[str, Any]:
        v, o = await service.get_version(session, document_id, version_id)
        return service.version_dict(v, o)

    return await _lock_and_read(sessions, ctx, storage, object_id, read)


async def lock_pending(session: AsyncSession, storage: ArchiveStorage, *, tenant: str) -> int:
    """Lock every committed version of ``tenant`` whose lock was never read back.

    The crash window between the commit and the lock (and a store that refused
    the lock for a while) ends here; the fixity audit runs it first.
    """
    rows = (
        await session.scalars(
            sa.select(StoredObject)
            .where(StoredObject.tenant_id == tenant, StoredObject.locked_at.is_(None))
            .where(StoredObject.retain_until.is_not(None))
            .order_by(StoredObject.created_at)
            .limit(1000)
        )
    ).all()
    locked = 0
    for obj in rows:
        try:
            retention, held = await service.lock_object(storage, obj)
        except Exception:
            log.warning("pending lock of %s/%s failed", obj.key, obj.version_id, exc_info=True)
            continue
        service.mark_locked(obj, retention, held)
        locked += 1
    await session.flush()
    return locked
