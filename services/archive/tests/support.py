"""Helpers the archive's service-level tests share: metadata, chunked bytes, a deposit."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.db import TenantContext
from services.archive.checks.scanner import ScanResult
from services.archive.documents import intake
from services.archive.documents.schemas import DocumentCreate
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
        filename=filename,
        content_type="application/pdf",
        source=chunks(data),
        limits=LIMITS,
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
