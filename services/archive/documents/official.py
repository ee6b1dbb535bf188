"""Official documents the archive files by itself (issue 18): the 立项批复 and 备案确认,
the 验收结论, the evaluation report's cover and the archive's own 四性检测 report.

Which service renders, and how the PDF gets in (docs/adr/0005-archive.md, "Official
documents"): the issuer decides the content when it decides, as a document laid
out by :mod:`libs.gongwen`. The approval service carries it in ``project.approved`` /
``project.filed``, the acceptance service in ``acceptance.recorded`` /
``evaluation.submitted`` (``official``); the archive's 档案验收 composes its check
report in the decision's own transaction. The archive typesets it as PDF and
files it through the same intake as an upload
(:func:`services.archive.documents.intake.deposit_document`: stream, short
transaction, then the lock), so the PDF gets its SM3 and SHA-256 and the
COMPLIANCE retention of its document type like any other document.

Two steps keep that idempotent and off the consumer's transaction:

1. :func:`record_issued` (the consumer :func:`on_document_issued`, or the 档案验收):
   one ``official_filings`` row per issued document (keyed by the issuer's id of
   it), in the transaction of the event that announces it; a redelivered event
   finds the row and adds nothing.
2. :func:`file_pending` (worker, every ``GOVPROJ_ARCHIVE_FILING_INTERVAL``
   seconds): renders each unfiled row and deposits it; the row is marked filed
   in the transaction that writes the document's rows, locked ``FOR UPDATE``,
   so two workers cannot both file it (the loser's object is discarded).
"""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Final

import sqlalchemy as sa
from fastapi import FastAPI
from pydantic import ValidationError
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.db import TenantContext, cacheable_insert, parameters, transaction
from libs.common.errors import Conflict, Problem
from libs.common.events import Event, Reject
from libs.common.periodic import for_each_tenant, start_periodic
from libs.gongwen import OfficialDocument, render_pdf
from services.archive.documents import intake
from services.archive.documents.schemas import DocumentCreate
from services.archive.limits import upload_limits
from services.archive.models import OfficialFiling, tenants
from services.archive.storage import ArchiveStorage
from services.archive.vocab import DocumentType, RetentionPeriod

__all__ = [
    "FILED_AS",
    "ISSUED_EVENT_TYPES",
    "ISSUED_SUBJECTS",
    "file_pending",
    "on_document_issued",
    "record_issued",
    "start_official_filing",
]

log = logging.getLogger(__name__)

#: 文件类型 and 保管期限 of each kind of document filed here. 保管期限 永久 for all:
#: 机关文件材料归档范围和文书档案保管期限规定 (国家档案局令第8号) 第八条 keeps the
#: important records of the bureau's 审批 permanently, and DA/T 28-2018《建设项目档案
#: 管理规范》附录A keeps a project's 立项、验收 and evaluation records permanently; the
#: 四性检测 report is the proof the project's electronic records were accepted intact
#: (DA/T 70-2018), kept as long as the records it proves.
FILED_AS: Final[Mapping[str, tuple[DocumentType, RetentionPeriod]]] = {
    "approval": ("approval_document", "permanent"),  # 立项批复
    "filing": ("approval_document", "permanent"),  # 备案确认
    "acceptance": ("acceptance_report", "permanent"),  # 验收结论
    "evaluation": ("evaluation_report", "permanent"),  # 评价报告封面
    "check_report": ("check_report", "permanent"),  # 四性检测报告 (档案验收)
}


def _approval(data: Mapping[str, Any]) -> tuple[Any, str] | None:
    if data.get("purpose", "project") != "project":
        return None  # a change's re-review: no 公文 of the project's own
    approval = data.get("approval") or {}
    return approval.get("id"), str(approval.get("kind") or "approval")


#: Each issuing event: its issuer's id of the document, and the document's kind.
_ISSUERS: Final[Mapping[str, Callable[[Mapping[str, Any]], tuple[Any, str] | None]]] = {
    "govproj.approval.project.approved.v1": _approval,
    "govproj.approval.project.filed.v1": _approval,
    "govproj.acceptance.acceptance.recorded.v1": lambda d: (d.get("acceptance_id"), "acceptance"),
    "govproj.acceptance.evaluation.submitted.v1": lambda d: (d.get("evaluation_id"), "evaluation"),
}
ISSUED_EVENT_TYPES: Final = tuple(_ISSUERS)
ISSUED_SUBJECTS: Final = (
    "govproj.*.approval.project.approved",
    "govproj.*.approval.project.filed",
    "govproj.*.acceptance.acceptance.recorded",
    "govproj.*.acceptance.evaluation.submitted",
)


# Built and compiled once (libs.common.db.cacheable_insert): the values go as parameters.
_INSERT_FILING = cacheable_insert(
    insert(OfficialFiling)
    .values(
        parameters(
            "id",
            "tenant_id",
            "project_id",
            "kind",
            "content",
            "actor",
            "source_event_id",
            "received_at",
        )
    )
    .on_conflict_do_nothing(index_elements=["id"])
)


async def record_issued(
    session: AsyncSession,
    *,
    document_id: uuid.UUID,
    tenant: str,
    project_id: uuid.UUID,
    kind: str,
    content: OfficialDocument,
    actor: Mapping[str, Any],
    source_event_id: str,
) -> None:
    """Note an issued document to be typeset and filed under ``project_id`` (once per id)."""
    if kind not in FILED_AS:
        raise Reject(f"official: 未知的文件种类 {kind}")
    await session.execute(
        _INSERT_FILING,
        {
            "id": document_id,
            "tenant_id": tenant,
            "project_id": project_id,
            "kind": kind,
            "content": content.model_dump(mode="json"),
            "actor": dict(actor),
            "source_event_id": source_event_id,
            "received_at": datetime.now(UTC),
        },
    )


async def on_document_issued(session: AsyncSession, event: Event) -> None:
    """Record an issued document of an issuing event (:data:`ISSUED_EVENT_TYPES`) to be filed."""
    data = event.data
    named = _ISSUERS[event.type](data)
    if named is None or data.get("official") is None:
        return  # nothing of the project's own, or an event from before issue 18: no document
    try:
        content = OfficialDocument.model_validate(data["official"])
        document_id = uuid.UUID(str(named[0]))
        project_id = uuid.UUID(str(data.get("project_id")))
    except (ValidationError, ValueError) as exc:
        raise Reject(f"official: 公文内容不完整（{exc.__class__.__name__}）") from None
    await record_issued(
        session,
        document_id=document_id,
        tenant=event.tenant,
        project_id=project_id,
        kind=named[1][:16],
        content=content,
        actor=event.actor,
        source_event_id=event.id,
    )


async def _one_chunk(data: bytes) -> AsyncIterator[bytes]:
    yield data


def _metadata(filing: OfficialFiling, content: OfficialDocument) -> DocumentCreate:
    doc_type, retention = FILED_AS[filing.kind]
    return DocumentCreate(
        title=content.title,
        doc_type=doc_type,
        doc_number=content.number or None,
        doc_date=content.signed_on,
        author_unit=content.issuer,
        security_level="non_secret",
        retention_period=retention,
        project_id=filing.project_id,
    )


async def _file_one(
    sessions: async_sessionmaker[AsyncSession],
    storage: ArchiveStorage,
    tenant: str,
    filing: OfficialFiling,
) -> None:
    content = OfficialDocument.model_validate(filing.content)
    pdf = await asyncio.to_thread(render_pdf, content)

    async def mark_filed(session: AsyncSession, document: dict[str, Any], _sha256: str) -> None:
        row = await session.get(OfficialFiling, filing.id, with_for_update=True)
        if row is None or row.document_id is not None:
            # Another worker filed it first: this transaction (and its object) goes.
            raise Conflict("already_filed", "公文已归档", f"official: {content.title} 已归档")
        row.document_id = uuid.UUID(str(document["id"]))
        row.filed_at = datetime.now(UTC)
        row.last_error = None

    await intake.deposit_document(
        sessions,
        storage,
        ctx=TenantContext.own(tenant),
        access=None,
        meta=_metadata(filing, content),
        incoming=intake.Incoming(
            f"{content.number or content.title}.pdf",
            "application/pdf",
            _one_chunk(pdf),
            upload_limits(tenant),
        ),
        actor=filing.actor,
        on_commit=mark_filed,
    )


async def file_pending(
    sessions: async_sessionmaker[AsyncSession], storage: ArchiveStorage, *, tenant: str
) -> int:
    """Typeset and file ``tenant``'s issued documents not yet filed; how many were filed."""
    async with transaction(sessions, TenantContext.own(tenant)) as session:
        pending = list(
            (
                await session.scalars(
                    sa.select(OfficialFiling)
                    .where(OfficialFiling.document_id.is_(None))
                    .order_by(OfficialFiling.received_at)
                    .limit(50)
                )
            ).all()
        )
    filed = 0
    for filing in pending:
        try:
            await _file_one(sessions, storage, tenant, filing)
        except Problem as problem:
            # The project not yet in the replica (its registry event still on its way),
            # or filed meanwhile: the next round sees it again, or no longer.
            await _note_error(sessions, tenant, filing.id, f"{problem.title}：{problem.detail}")
            continue
        except Exception as exc:  # the renderer or the store: the others still get filed
            log.warning("filing of official document %s failed", filing.id, exc_info=True)
            await _note_error(sessions, tenant, filing.id, f"归档失败：{exc.__class__.__name__}")
            continue
        filed += 1
    return filed


async def _note_error(
    sessions: async_sessionmaker[AsyncSession], tenant: str, filing_id: uuid.UUID, why: str
) -> None:
    async with transaction(sessions, TenantContext.own(tenant)) as session:
        await session.execute(
            sa.update(OfficialFiling)
            .where(OfficialFiling.id == filing_id, OfficialFiling.document_id.is_(None))
            .values(last_error=why[:2000])
        )


async def start_official_filing(app: FastAPI) -> None:
    """File issued documents in worker processes every ``GOVPROJ_ARCHIVE_FILING_INTERVAL`` s (5)."""
    interval = float(os.environ.get("GOVPROJ_ARCHIVE_FILING_INTERVAL", "5"))

    async def pending_tenants(session: AsyncSession, code: str) -> bool:
        found = await session.scalar(
            sa.select(OfficialFiling.id).where(OfficialFiling.document_id.is_(None)).limit(1)
        )
        return found is not None

    async def round_() -> None:
        maker = app.state.sessionmaker
        waiting = await for_each_tenant(maker, tenants, pending_tenants)
        for code in (c for c, has in waiting.items() if has):
            await file_pending(maker, app.state.archive_storage, tenant=code)

    start_periodic(app, "archive-official-filing", interval, round_, first_delay=interval)
