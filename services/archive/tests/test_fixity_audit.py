"""The fixity audit finds, classifies and names every kind of tampering and both crash orders."""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.storage import (
    FilesystemStore,
    Retention,
    Source,
    StoredObject,
    hash_stream,
)
from services.archive.documents import service
from services.archive.models import StoredObject as StoredRow
from services.archive.retention.service import Finding, run_audit
from services.archive.storage import ArchiveStorage
from services.archive.tests.conftest import in_tenant
from services.archive.tests.support import DelegatingStore, stored_object, upload

NOW = timedelta(0)


async def audit(
    sessions: async_sessionmaker[AsyncSession], storage: ArchiveStorage
) -> list[Finding]:
    async with in_tenant(sessions) as session:
        result = await run_audit(
            session, storage, tenant="445322", batch_size=1000, untracked_grace=NOW
        )
    return result.findings


def data_file(storage: ArchiveStorage, obj: StoredRow) -> Path:
    store = storage.store
    assert isinstance(store, FilesystemStore)
    vdir = store._versions_dir(obj.bucket, obj.key)
    return vdir / f"{obj.version_id}.data"


async def test_a_clean_archive_audits_clean(
    sessions: async_sessionmaker[AsyncSession], storage: ArchiveStorage
) -> None:
    await upload(sessions, storage, b"%PDF-1.4 clean")
    assert await audit(sessions, storage) == []


@pytest.mark.parametrize("store", ["filesystem"], indirect=True)
@pytest.mark.parametrize("tamper", ["byte_flip", "append", "truncate", "delete"])
async def test_tampered_bytes_are_found_classified_and_named(
    sessions: async_sessionmaker[AsyncSession], storage: ArchiveStorage, tamper: str
) -> None:
    good = await upload(sessions, storage, b"%PDF-1.4 untouched")
    bad = await upload(sessions, storage, b"%PDF-1.4 " + os.urandom(4096))
    obj = await stored_object(sessions, bad["id"])
    path = data_file(storage, obj)
    if tamper == "byte_flip":
        raw = bytearray(path.read_bytes())
        raw[100] ^= 0x01
        path.write_bytes(bytes(raw))
    elif tamper == "append":
        with path.open("ab") as out:
            out.write(b"x")
    elif tamper == "truncate":
        os.truncate(path, 1000)
    else:
        path.unlink()
        path.with_suffix(".json").unlink()
    findings = await audit(sessions, storage)
    assert len(findings) == 1, findings
    (finding,) = findings
    expected = "missing" if tamper == "delete" else "changed"
    assert finding.classification == expected
    assert (finding.key, finding.version_id) == (obj.key, obj.version_id)
    assert finding.location == ("store" if tamper == "delete" else "object")
    assert good["id"] != bad["id"]


async def test_extra_object_is_untracked(
    sessions: async_sessionmaker[AsyncSession], storage: ArchiveStorage
) -> None:
    await upload(sessions, storage, b"%PDF-1.4 tracked")
    bucket = storage.bucket_for("445322")
    extra = await storage.store.put(bucket, "documents/smuggled", _one(b"not ours"))
    findings = await audit(sessions, storage)
    assert [(f.classification, f.key, f.version_id) for f in findings] == [
        ("untracked", "documents/smuggled", extra.version_id)
    ]


async def test_edited_database_row_is_changed_in_the_record(
    sessions: async_sessionmaker[AsyncSession], storage: ArchiveStorage
) -> None:
    document = await upload(sessions, storage, b"%PDF-1.4 honest bytes")
    obj = await stored_object(sessions, document["id"])
    async with in_tenant(sessions) as session:
        await session.execute(
            sa.update(StoredRow).where(StoredRow.id == obj.id).values(sha256="0" * 64, sm3="0" * 64)
        )
    findings = await audit(sessions, storage)
    assert len(findings) == 1
    assert findings[0].classification == "changed"
    assert findings[0].location == "record"
    assert findings[0].version_id == obj.version_id
    assert "sha256" in findings[0].detail and "sm3" in findings[0].detail


async def test_audit_rotates_least_recently_verified_first(
    sessions: async_sessionmaker[AsyncSession], storage: ArchiveStorage
) -> None:
    for i in range(3):
        await upload(sessions, storage, f"%PDF-1.4 {i}".encode())
    seen: list[set[uuid.UUID]] = []
    for _ in range(3):
        async with in_tenant(sessions) as session:
            before = datetime.now(UTC)
            result = await run_audit(session, storage, tenant="445322", batch_size=1)
            ids = (
                await session.execute(
                    sa.select(StoredRow.id).where(StoredRow.last_verified_at >= before)
                )
            ).scalars()
            seen.append(set(ids))
        assert result.verified == 1
    assert len(set().union(*seen)) == 3


async def _one(data: bytes) -> Any:
    yield data


async def test_crash_between_put_and_commit_leaves_an_untracked_object(
    sessions: async_sessionmaker[AsyncSession], storage: ArchiveStorage
) -> None:
    class Crash(Exception):
        pass

    document_id = uuid.uuid4()
    bucket = await storage.ensure_bucket("445322")
    stored = await storage.store.put(
        bucket, service.document_key(document_id), _one(b"%PDF-1.4 orphan")
    )
    with pytest.raises(Crash):
        async with in_tenant(sessions) as session:
            await service.create_document_rows(
                session,
                tenant="445322",
                document_id=document_id,
                meta=_meta(),
                unit_id=None,
                stored=stored,
                filename="lost.pdf",
                content_type="application/pdf",
                actor={"type": "user", "id": "u", "tenant": "445322", "roles": []},
            )
            raise Crash  # the process dies before the commit
    findings = await audit(sessions, storage)
    assert [(f.classification, f.key) for f in findings] == [
        ("untracked", f"documents/{document_id}")
    ]
    # Never locked (the lock follows the commit): the orphan can be disposed of.
    assert await storage.store.get_retention(bucket, stored.key, stored.version_id) is None
    await storage.store.delete(bucket, stored.key, stored.version_id)


class LostWriteStore(DelegatingStore):
    """A store that acknowledges a PUT and keeps nothing (the reverse crash: commit, no bytes)."""

    async def put(
        self,
        bucket: str,
        key: str,
        stream: Source,
        *,
        content_type: str = "application/octet-stream",
        metadata: Mapping[str, str] | None = None,
    ) -> StoredObject:
        digests = await hash_stream(stream)
        return StoredObject(
            bucket,
            key,
            "lost-" + uuid.uuid4().hex,
            digests.size,
            digests.sha256,
            digests.sm3,
            content_type,
            digests.sha256,
        )

    async def set_retention(
        self, bucket: str, key: str, version_id: str, *, mode: Any = "COMPLIANCE", until: datetime
    ) -> Retention:
        return Retention(mode="COMPLIANCE", until=until.replace(microsecond=0))


async def test_commit_without_the_bytes_is_found_missing(
    sessions: async_sessionmaker[AsyncSession], storage: ArchiveStorage
) -> None:
    lossy = ArchiveStorage(LostWriteStore(storage.store), bucket_prefix=storage.bucket_prefix)
    document = await upload(sessions, lossy, b"%PDF-1.4 never written")
    findings = await audit(sessions, storage)
    assert [(f.classification, f.key, f.location) for f in findings] == [
        ("missing", f"documents/{document['id']}", "store")
    ]


def _meta() -> Any:
    from services.archive.tests.support import meta

    return meta()
