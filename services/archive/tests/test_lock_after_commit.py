"""Nothing is locked before it is accepted: the lock follows the commit, and the audit completes it."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.db import TenantContext
from libs.common.errors import Problem
from libs.common.storage import Retention
from services.archive.documents import intake, service
from services.archive.limits import heavy
from services.archive.models import StoredObject
from services.archive.retention.service import run_audit
from services.archive.storage import ArchiveStorage
from services.archive.tests.conftest import LIMITS, actor, in_tenant
from services.archive.tests.support import DelegatingStore, chunks, meta, upload


async def _versions(storage: ArchiveStorage) -> list[Any]:
    try:
        return await storage.store.list_versions(storage.bucket_for("445322"))
    except Exception:
        return []


async def test_a_request_refused_after_its_body_was_stored_leaves_nothing(
    sessions: async_sessionmaker[AsyncSession], storage: ArchiveStorage
) -> None:
    await storage.ensure_bucket("445322")
    async with in_tenant(sessions) as session:
        rows = await session.scalar(sa.select(sa.func.count()).select_from(StoredObject))

    async def refuse(session: AsyncSession, body: dict[str, Any], sha256: str) -> None:
        raise Problem.invalid("file", "在写入登记时被拒绝")

    with pytest.raises(Problem):
        await intake.deposit_document(
            sessions,
            storage,
            ctx=TenantContext.own("445322"),
            access=None,
            meta=meta(),
            incoming=intake.Incoming(
                "refused.pdf", "application/pdf", chunks(b"%PDF-1.4 refused"), LIMITS
            ),
            actor=actor(),
            on_commit=refuse,
        )
    # The unlocked object was deleted, and no row was written.
    assert await _versions(storage) == []
    async with in_tenant(sessions) as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(StoredObject)) == rows


class NoLockStore(DelegatingStore):
    """A store whose lock call fails (a crash, or the store refusing) after the commit."""

    async def set_retention(self, *args: Any, **kwargs: Any) -> Retention:
        raise RuntimeError("the process died before the lock")


async def test_a_crash_between_commit_and_lock_is_locked_by_the_audit(
    sessions: async_sessionmaker[AsyncSession], storage: ArchiveStorage
) -> None:
    broken = ArchiveStorage(NoLockStore(storage.store), bucket_prefix=storage.bucket_prefix)
    document = await upload(sessions, broken, b"%PDF-1.4 pending", legal_hold=True)
    version = document["current_version"]
    # The archive does not say "locked" before it read the lock back.
    assert version["retention_mode"] is None and version["legal_hold"] is False
    async with in_tenant(sessions) as session:
        _, obj = await service.get_version(session, document["id"], None)
        assert obj.locked_at is None and obj.hold_requested
        result = await run_audit(session, storage, tenant="445322", batch_size=1000)
    assert result.locked == 1
    async with in_tenant(sessions) as session:
        _, obj = await service.get_version(session, document["id"], None)
        assert obj.locked_at is not None and obj.retention_mode == "COMPLIANCE" and obj.legal_hold
    retention = await storage.store.get_retention(obj.bucket, obj.key, obj.version_id)
    assert retention is not None and retention.mode == "COMPLIANCE"
    assert obj.retain_until is not None and retention.until >= obj.retain_until.replace(
        microsecond=0
    )
    assert await storage.store.get_legal_hold(obj.bucket, obj.key, obj.version_id)


async def test_an_accepted_upload_is_locked_before_the_answer(
    sessions: async_sessionmaker[AsyncSession], storage: ArchiveStorage
) -> None:
    document = await upload(sessions, storage, b"%PDF-1.4 accepted")
    version = document["current_version"]
    assert version["retention_mode"] == "COMPLIANCE"
    async with in_tenant(sessions) as session:
        _, obj = await service.get_version(session, document["id"], None)
    assert obj.locked_at is not None
    retention = await storage.store.get_retention(obj.bucket, obj.key, obj.version_id)
    assert retention is not None and retention.mode == "COMPLIANCE"


def test_heavy_work_is_one_at_a_time_per_tenant() -> None:
    with heavy("445322", "四性检测"):
        with pytest.raises(Problem) as busy, heavy("445322", "四性检测"):
            pass
        assert busy.value.status == 429
        assert busy.value.headers["Retry-After"] == "30"
        assert busy.value.title == "档案服务繁忙，请稍后再试"
        with heavy("445102", "四性检测"):  # another tenant still runs
            pass
    with heavy("445322", "四性检测"):  # and the slot is free again
        pass
