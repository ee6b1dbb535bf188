"""Documents: streamed upload with fixity and lock, versions, attachments, legal hold.

No HTTP here; only flush, never commit. Write order (issue 16: nothing is
locked before it is accepted): the bytes are streamed to the store unlocked,
then the rows commit, then the version is locked COMPLIANCE and the lock read
back onto its row (:mod:`services.archive.documents.intake` runs the three
steps). A request refused before the commit deletes its unlocked object; a
crash between the PUT and the commit leaves an unlocked *untracked* object the
audit reports; a crash between the commit and the lock leaves a row with
``locked_at`` NULL that the audit locks. Never a row claiming bytes the store
does not hold, and never a locked object that no row accepted.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from uuid6 import uuid7

from libs.common.auth import Scope
from libs.common.errors import Problem
from libs.common.storage import ObjectStream, Retention, RetentionViolation
from libs.common.storage import StoredObject as Stored
from services.archive.documents.schemas import DocumentCreate
from services.archive.models import Attachment, Document, DocumentVersion, StoredObject, publisher
from services.archive.storage import ArchiveStorage, retain_until
from services.archive.vocab import RETENTION_YEARS

__all__ = [
    "add_version_rows",
    "attach",
    "create_document_rows",
    "delete_document",
    "document_key",
    "document_scope",
    "get_document",
    "get_version",
    "list_documents",
    "list_versions",
    "lock_object",
    "mark_locked",
    "open_version",
    "read_document",
    "record_version",
    "set_legal_hold",
    "version_dict",
]


def document_key(document_id: uuid.UUID) -> str:
    """Every version of a document is a version of one key."""
    return f"documents/{document_id}"


def _now() -> datetime:
    return datetime.now(UTC)


def document_scope(document: Document) -> Scope:
    """The authorization scope of a document: its tenant, its unit, and 内部 for experts."""
    return Scope(
        tenant=document.tenant_id,
        unit_id=str(document.unit_id) if document.unit_id is not None else None,
        what="文件",
        name=document.title,
        internal=document.security_level == "internal",
    )


async def _announce(
    session: AsyncSession,
    tenant: str,
    event: str,
    document_id: uuid.UUID,
    actor: dict[str, Any],
    **data: Any,
) -> None:
    """Record ``document.<event>`` of one document, with what else the event says."""
    await publisher.announce(
        session,
        "document",
        event,
        tenant=tenant,
        actor=actor,
        data={"document_id": str(document_id), **data},
    )


#: Where a version's bytes are and the digests taken as they streamed in.
_FIXITY = ("bucket", "key", "version_id", "size", "sha256", "sm3")


def _fixity(stored: Stored) -> dict[str, Any]:
    """A stored version's place and fixity, as its row and its event both record them."""
    return {name: getattr(stored, name) for name in _FIXITY}


async def record_version(
    session: AsyncSession,
    *,
    tenant: str,
    document: Document,
    stored: Stored,
    filename: str,
    content_type: str,
    hold_requested: bool,
    actor: dict[str, Any],
    project_id: uuid.UUID | None = None,
) -> tuple[DocumentVersion, StoredObject]:
    """The rows of a version whose bytes are in the store, unlocked (locked after commit).

    ``project_id``: the project the upload files the document under, named in the
    event so that the project's audit trail shows the filing itself (ADR 0011).
    """
    now = _now()
    until = retain_until(RETENTION_YEARS[document.retention_period], now=now)
    obj = StoredObject(
        id=uuid7(),
        tenant_id=tenant,
        kind="document",
        **_fixity(stored),
        retention_mode=None,
        retain_until=until,
        legal_hold=False,
        hold_requested=hold_requested,
        locked_at=None,
        created_at=now,
    )
    session.add(obj)
    await session.flush()
    document.version_count += 1
    document.current_version_id = stored.version_id
    version = DocumentVersion(
        id=uuid7(),
        tenant_id=tenant,
        document_id=document.id,
        seq=document.version_count,
        version_id=stored.version_id,
        object_id=obj.id,
        filename=filename,
        content_type=content_type,
        created_by=actor["id"],
        created_at=now,
    )
    session.add(version)
    await session.flush()
    await _announce(
        session,
        tenant,
        "uploaded",
        document.id,
        actor,
        title=document.title,
        doc_type=document.doc_type,
        seq=version.seq,
        filename=filename,
        **_fixity(stored),
        # The lock this version gets once the row has committed (read back then).
        retention={"mode": "COMPLIANCE", "until": until.isoformat()},
        legal_hold=hold_requested,
        **({"project_id": str(project_id)} if project_id is not None else {}),
    )
    return version, obj


async def create_document_rows(
    session: AsyncSession,
    *,
    tenant: str,
    document_id: uuid.UUID,
    meta: DocumentCreate,
    unit_id: uuid.UUID | None,
    stored: Stored,
    filename: str,
    content_type: str,
    actor: dict[str, Any],
) -> Document:
    """Record a document whose first version's bytes are stored; attach it if asked."""
    document = Document(
        id=document_id,
        tenant_id=tenant,
        # The descriptive metadata (著录项): what the upload says besides where it files the document.
        **meta.model_dump(exclude={"project_id", "step_id", "legal_hold"}),
        unit_id=unit_id,
        current_version_id=None,
        version_count=0,
        created_by=actor["id"],
        created_at=_now(),
    )
    session.add(document)
    await record_version(
        session,
        tenant=tenant,
        document=document,
        stored=stored,
        filename=filename,
        content_type=content_type,
        hold_requested=meta.legal_hold,
        actor=actor,
        project_id=meta.project_id,
    )
    if meta.project_id is not None:
        await attach(
            session,
            tenant=tenant,
            document_id=document.id,
            project_id=meta.project_id,
            step_id=meta.step_id,
            actor=actor,
        )
    return document


async def add_version_rows(
    session: AsyncSession,
    *,
    tenant: str,
    document_id: uuid.UUID,
    stored: Stored,
    filename: str,
    content_type: str,
    actor: dict[str, Any],
) -> tuple[DocumentVersion, StoredObject]:
    """A new version of a document's bytes; earlier versions stay, locked and readable.

    The document row is locked first, so two versions arriving together get
    consecutive numbers instead of one failing on the unique sequence.
    """
    document = await _own_document(session, tenant, document_id)
    await session.refresh(document, with_for_update=True)
    return await record_version(
        session,
        tenant=tenant,
        document=document,
        stored=stored,
        filename=filename,
        content_type=content_type,
        hold_requested=False,
        actor=actor,
    )


async def lock_object(storage: ArchiveStorage, obj: StoredObject) -> tuple[Retention, bool]:
    """Lock a committed version COMPLIANCE (and hold it if asked); return what was read back.

    Idempotent: the planned date is the row's, so the request that wrote the row
    and the audit's reconciliation set the same lock (an active lock can be
    extended, never shortened; the same date is neither).
    """
    if obj.retain_until is None:
        raise ValueError(f"object {obj.id} has no planned retention")
    retention = await storage.store.set_retention(
        obj.bucket, obj.key, obj.version_id, mode="COMPLIANCE", until=obj.retain_until
    )
    if obj.hold_requested:
        await storage.set_legal_hold(obj.bucket, obj.key, obj.version_id, on=True)
    return retention, obj.hold_requested


def mark_locked(obj: StoredObject, retention: Retention, held: bool) -> None:
    """Record the lock read back from the store on the row."""
    obj.retention_mode = retention.mode
    obj.retain_until = retention.until
    obj.legal_hold = obj.legal_hold or held
    obj.locked_at = _now()


async def get_document(session: AsyncSession, document_id: uuid.UUID) -> Document:
    """A visible document, else 404 (a foreign tenant's document is invisible under RLS)."""
    document = await session.get(Document, document_id)
    if document is None:
        raise Problem.not_found("文件", document_id)
    return document


async def _own_document(session: AsyncSession, tenant: str, document_id: uuid.UUID) -> Document:
    document = await get_document(session, document_id)
    if document.tenant_id != tenant:
        # An overseer may read a county's documents, never change them: the same 404.
        raise Problem.not_found("文件", document_id)
    return document


def version_dict(version: DocumentVersion, obj: StoredObject) -> dict[str, Any]:
    return {
        "version_id": version.version_id,
        "seq": version.seq,
        "filename": version.filename,
        "content_type": version.content_type,
        "size": obj.size,
        "sha256": obj.sha256,
        "sm3": obj.sm3,
        "retention_mode": obj.retention_mode,
        "retain_until": obj.retain_until,
        "legal_hold": obj.legal_hold,
        "created_by": version.created_by,
        "created_at": version.created_at,
    }


async def _versions(
    session: AsyncSession, document_id: uuid.UUID
) -> list[tuple[DocumentVersion, StoredObject]]:
    rows = await session.execute(
        sa.select(DocumentVersion, StoredObject)
        .join(StoredObject, StoredObject.id == DocumentVersion.object_id)
        .where(DocumentVersion.document_id == document_id)
        .order_by(DocumentVersion.seq)
    )
    return [(v, o) for v, o in rows.tuples()]


async def read_document(session: AsyncSession, document_id: uuid.UUID) -> dict[str, Any]:
    """The document as the API shows it."""
    document = await get_document(session, document_id)
    versions = await _versions(session, document_id)
    current = next(
        (version_dict(v, o) for v, o in versions if v.version_id == document.current_version_id),
        None,
    )
    attachments = (
        (
            await session.execute(
                sa.select(Attachment.project_id, Attachment.step_id)
                .where(Attachment.document_id == document_id)
                .order_by(Attachment.created_at)
            )
        )
        .mappings()
        .all()
    )
    return {
        "id": document.id,
        "title": document.title,
        "doc_type": document.doc_type,
        "doc_number": document.doc_number,
        "doc_date": document.doc_date,
        "author_unit": document.author_unit,
        "security_level": document.security_level,
        "retention_period": document.retention_period,
        "current_version": current,
        "version_count": document.version_count,
        "attachments": [dict(a) for a in attachments],
        "created_by": document.created_by,
        "created_at": document.created_at,
    }


async def list_documents(
    session: AsyncSession,
    *,
    project_id: uuid.UUID | None = None,
    step_id: str | None = None,
    limit: int = 100,
    offset: int = 0,
    hide_internal: bool = False,
) -> list[dict[str, Any]]:
    """Visible documents, newest first; filtered by project (and step) when asked."""
    query = sa.select(Document.id).order_by(Document.created_at.desc(), Document.id.desc())
    if hide_internal:
        query = query.where(Document.security_level != "internal")
    if project_id is not None:
        attached = sa.select(Attachment.document_id).where(Attachment.project_id == project_id)
        if step_id is not None:
            attached = attached.where(Attachment.step_id == step_id)
        query = query.where(Document.id.in_(attached))
    ids = (await session.execute(query.limit(limit).offset(offset))).scalars().all()
    return [await read_document(session, i) for i in ids]


async def list_versions(session: AsyncSession, document_id: uuid.UUID) -> list[dict[str, Any]]:
    """Every version of a document, oldest first."""
    await get_document(session, document_id)
    return [version_dict(v, o) for v, o in await _versions(session, document_id)]


async def get_version(
    session: AsyncSession, document_id: uuid.UUID, version_id: str | None
) -> tuple[DocumentVersion, StoredObject]:
    """One version (the current one when ``version_id`` is None), else 404."""
    document = await get_document(session, document_id)
    wanted = version_id or document.current_version_id
    for version, obj in await _versions(session, document_id):
        if version.version_id == wanted:
            return version, obj
    raise Problem.not_found("文件版本", f"{document_id}/{version_id}")


async def open_version(
    storage: ArchiveStorage, obj: StoredObject, byte_range: tuple[int, int] | None
) -> ObjectStream:
    """Stream a version's bytes (or a range of them) from the store."""
    return await storage.store.get(obj.bucket, obj.key, obj.version_id, byte_range=byte_range)


async def attach(
    session: AsyncSession,
    *,
    tenant: str,
    document_id: uuid.UUID,
    project_id: uuid.UUID,
    step_id: str | None,
    actor: dict[str, Any],
) -> dict[str, Any]:
    """Attach a document to a project (and step); attaching twice changes nothing."""
    await _own_document(session, tenant, document_id)
    existing = await session.execute(
        sa.select(Attachment.id).where(
            Attachment.document_id == document_id,
            Attachment.project_id == project_id,
            Attachment.step_id.is_(None) if step_id is None else Attachment.step_id == step_id,
        )
    )
    if existing.first() is None:
        session.add(
            Attachment(
                id=uuid7(),
                tenant_id=tenant,
                document_id=document_id,
                project_id=project_id,
                step_id=step_id,
                created_by=actor["id"],
                created_at=_now(),
            )
        )
        await session.flush()
        await _announce(
            session,
            tenant,
            "attached",
            document_id,
            actor,
            project_id=str(project_id),
            step_id=step_id,
        )
    return {"project_id": project_id, "step_id": step_id}


async def set_legal_hold(
    session: AsyncSession,
    storage: ArchiveStorage,
    *,
    tenant: str,
    document_id: uuid.UUID,
    version_id: str,
    on: bool,
    actor: dict[str, Any],
) -> dict[str, Any]:
    """Put a legal hold on a version (or lift it); read back before it is recorded."""
    await _own_document(session, tenant, document_id)
    version, obj = await get_version(session, document_id, version_id)
    await storage.set_legal_hold(obj.bucket, obj.key, obj.version_id, on=on)
    obj.legal_hold = on
    obj.hold_requested = on  # a pending lock must not put back a hold just lifted
    await session.flush()
    await _announce(
        session,
        tenant,
        "legal_hold_set" if on else "legal_hold_lifted",
        document_id,
        actor,
        version_id=version_id,
    )
    return version_dict(version, obj)


async def delete_document(
    session: AsyncSession,
    storage: ArchiveStorage,
    *,
    tenant: str,
    document_id: uuid.UUID,
    actor: dict[str, Any],
) -> None:
    """Delete a document whose every version is out of retention and hold; else 409.

    Nothing is deleted unless every version can be: the locks are checked first.
    """
    await _own_document(session, tenant, document_id)
    versions = await _versions(session, document_id)
    now = _now()
    for version, obj in versions:
        retention = await storage.store.get_retention(obj.bucket, obj.key, obj.version_id)
        held = await storage.store.get_legal_hold(obj.bucket, obj.key, obj.version_id)
        if held or (retention is not None and retention.until > now):
            why = "法律保全" if held else f"保管期限至 {retention.until.date()}"  # type: ignore[union-attr]
            raise Problem.conflict(
                "document_retained",
                "文件处于保管期限或法律保全中，不能删除",
                f"version {version.version_id}: {why}",
            )
    for version, obj in versions:
        try:
            await storage.store.delete(obj.bucket, obj.key, obj.version_id)
        except RetentionViolation as exc:
            raise Problem.conflict(
                "document_retained", "文件处于保管期限或法律保全中，不能删除", str(exc)
            ) from exc
        await session.delete(version)
        await session.flush()
        await session.delete(obj)
    await session.execute(sa.delete(Attachment).where(Attachment.document_id == document_id))
    document = await get_document(session, document_id)
    await session.delete(document)
    await session.flush()
    await _announce(session, tenant, "deleted", document_id, actor)
