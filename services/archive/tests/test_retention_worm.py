"""WORM on the local S3 server: locked versions survive deletes, shortening and delete markers."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.errors import Problem
from libs.common.storage import RetentionViolation, S3Store
from libs.common.testing.s3server import S3Server
from services.archive.documents import service
from services.archive.storage import ArchiveStorage
from services.archive.tests.conftest import actor, in_tenant
from services.archive.tests.support import stored_object, upload

MiB = 1024 * 1024


@pytest.fixture
async def s3_storage(s3_server: S3Server) -> ArchiveStorage:
    return ArchiveStorage(s3_server.store(), bucket_prefix=f"w{uuid.uuid4().hex[:10]}-")


async def test_locked_version_cannot_be_deleted_or_shortened(
    sessions: async_sessionmaker[AsyncSession], s3_storage: ArchiveStorage
) -> None:
    document = await upload(sessions, s3_storage, b"%PDF-1.4 locked", retention_period="y10")
    obj = await stored_object(sessions, document["id"])
    store = s3_storage.store
    with pytest.raises(RetentionViolation, match="COMPLIANCE"):
        await store.delete(obj.bucket, obj.key, obj.version_id)
    with pytest.raises(RetentionViolation, match="shortened"):
        await store.set_retention(
            obj.bucket,
            obj.key,
            obj.version_id,
            until=datetime.now(UTC) + timedelta(days=30),
        )
    # The service refuses too, and changes nothing.
    with pytest.raises(Problem) as refused:
        async with in_tenant(sessions) as session:
            await service.delete_document(
                session, s3_storage, tenant="445322", document_id=document["id"], actor=actor()
            )
    assert refused.value.status == 409
    data = await (await store.get(obj.bucket, obj.key, obj.version_id)).read_all()
    assert data == b"%PDF-1.4 locked"


async def test_delete_under_legal_hold_is_refused(
    sessions: async_sessionmaker[AsyncSession], s3_storage: ArchiveStorage
) -> None:
    document = await upload(sessions, s3_storage, b"%PDF-1.4 held", legal_hold=True)
    assert document["current_version"]["legal_hold"] is True
    obj = await stored_object(sessions, document["id"])
    assert await s3_storage.store.get_legal_hold(obj.bucket, obj.key, obj.version_id)
    with pytest.raises(RetentionViolation, match="legal hold"):
        await s3_storage.store.delete(obj.bucket, obj.key, obj.version_id)


async def test_multipart_upload_ends_locked(
    sessions: async_sessionmaker[AsyncSession], s3_storage: ArchiveStorage
) -> None:
    data = os.urandom(12 * MiB)
    document = await upload(sessions, s3_storage, data)
    obj = await stored_object(sessions, document["id"])
    info = await s3_storage.store.stat(obj.bucket, obj.key, obj.version_id)
    assert info.etag.endswith("-3")  # three parts of 5 MiB
    retention = await s3_storage.store.get_retention(obj.bucket, obj.key, obj.version_id)
    assert retention is not None and retention.mode == "COMPLIANCE"
    assert retention.until > datetime.now(UTC) + timedelta(days=365 * 29)


async def test_delete_marker_leaves_the_version_readable(
    sessions: async_sessionmaker[AsyncSession], s3_storage: ArchiveStorage
) -> None:
    document = await upload(sessions, s3_storage, b"%PDF-1.4 still here")
    obj = await stored_object(sessions, document["id"])
    store = s3_storage.store
    assert isinstance(store, S3Store)
    marker = await store.put_delete_marker(obj.bucket, obj.key)
    assert marker and marker != obj.version_id
    stream = await service.open_version(s3_storage, obj, None)
    assert await stream.read_all() == b"%PDF-1.4 still here"
