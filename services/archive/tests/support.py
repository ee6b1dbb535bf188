"""Helpers the archive's service-level tests share: metadata, chunked bytes, a deposit."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.db import TenantContext
from libs.common.storage import ObjectStore
from services.archive.checks import service as checks
from services.archive.checks.scanner import ScanResult, VirusScanner
from services.archive.documents import intake
from services.archive.documents import service as documents
from services.archive.documents.schemas import DocumentCreate
from services.archive.models import StoredObject as StoredObjectRow
from services.archive.packages import service as packages
from services.archive.storage import ArchiveStorage
from services.archive.tests.conftest import LIMITS, actor, in_tenant, make_project


def meta(**overrides: Any) -> DocumentCreate:
    fields: dict[str, Any] = {
        "title": "郁南县政务云扩容项目验收报告",
        "doc_type": "acceptance_report",
        "doc_number": "郁政数〔2026〕12号",
        "doc_date": date(2026, 11, 1),
        "author_unit": "郁南县政务服务数据管理局",
        "security_level": "non_secret",
        "retention_period": "y30",
    }
    fields.update(overrides)
    return DocumentCreate(**fields)


async def chunks(data: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


async def upload(
    sessions: async_sessionmaker[AsyncSession],
    storage: ArchiveStorage,
    data: bytes,
    *,
    filename: str = "report.pdf",
    tenant: str = "445322",
    **overrides: Any,
) -> dict[str, Any]:
    return await intake.deposit_document(
        sessions,
        storage,
        ctx=TenantContext.own(tenant),
        access=None,
        meta=meta(**overrides),
        incoming=intake.Incoming(filename, "application/pdf", chunks(data), LIMITS),
        actor=actor(tenant),
    )


class CleanScanner:
    """A scanner that ran and found nothing (stands in for ClamAV where none is installed)."""

    async def scan(self, path: Path) -> ScanResult:
        return ScanResult("pass", "test scanner: clean")


async def project_with(
    sessions: async_sessionmaker[AsyncSession],
    storage: ArchiveStorage,
    files: list[tuple[str, bytes]],
) -> tuple[uuid.UUID, dict[str, Any]]:
    project = await make_project(sessions)
    for name, data in files:
        await upload(
            sessions, storage, data, filename=name, project_id=project, step_id="acceptance"
        )
    async with in_tenant(sessions) as session:
        package = await packages.build_package(
            session, storage, tenant="445322", project_id=project, document_ids=None, actor=actor()
        )
    return project, package


def result(report: Any, item: str) -> dict[str, Any]:
    return next(r for r in report.results if r["item"] == item)


async def transfer_check(
    session: AsyncSession, storage: ArchiveStorage, scanner: VirusScanner, package: dict[str, Any]
) -> Any:
    """The 移交与接收 四性检测 of ``package`` in the county, run by the archivist of the tests."""
    return await checks.run_checks(
        session,
        storage,
        scanner,
        tenant="445322",
        package_id=package["id"],
        stage="transfer",
        actor=actor(),
    )


async def record_manual(session: AsyncSession, report: Any, item_id: str, note: str) -> Any:
    """A person records ``item_id`` of ``report`` as passed, with ``note`` as the reason."""
    return await checks.record_manual_outcome(
        session,
        tenant="445322",
        report_id=report.id,
        item_id=item_id,
        outcome="pass",
        note=note,
        actor=actor(),
    )


class DelegatingStore(ObjectStore):
    """An object store that passes every call to ``inner``; a test overrides what it breaks."""

    def __init__(self, inner: ObjectStore) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    # ObjectStore's methods are abstract, so each must be named in the class body
    # (``__getattr__`` alone would leave the class abstract and uninstantiable).
    ensure_bucket = property(lambda self: self.inner.ensure_bucket)
    put = property(lambda self: self.inner.put)
    get = property(lambda self: self.inner.get)
    stat = property(lambda self: self.inner.stat)
    list_versions = property(lambda self: self.inner.list_versions)
    delete = property(lambda self: self.inner.delete)
    set_retention = property(lambda self: self.inner.set_retention)
    get_retention = property(lambda self: self.inner.get_retention)
    set_legal_hold = property(lambda self: self.inner.set_legal_hold)
    get_legal_hold = property(lambda self: self.inner.get_legal_hold)
    # The backend's halves of put, get and set_retention (the checks are in ObjectStore).
    _put = property(lambda self: self.inner._put)
    _get = property(lambda self: self.inner._get)
    _set_retention = property(lambda self: self.inner._set_retention)


async def stored_object(
    sessions: async_sessionmaker[AsyncSession], document_id: uuid.UUID
) -> StoredObjectRow:
    """The ``stored_objects`` row of the document's current version."""
    async with in_tenant(sessions) as session:
        _, obj = await documents.get_version(session, document_id, None)
    return obj
