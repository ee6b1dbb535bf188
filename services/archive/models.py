"""archive tables: the tenant tree replica, the event tables, and the archive's own.

Every object the archive writes to the store has one ``stored_objects`` row
holding the fixity recorded when it streamed in (size, SM3, SHA-256) and its
lock; documents and packages point at those rows, and the fixity audit walks
them.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from libs.common.db import TenantMixin, service_metadata
from libs.common.publisher import Publisher
from libs.common.tables import platform_tables

__all__ = [
    "TENANT_TABLES",
    "ArchiveAcceptance",
    "Attachment",
    "Base",
    "CheckReport",
    "Document",
    "DocumentVersion",
    "FixityFinding",
    "OfficialFiling",
    "Package",
    "Project",
    "StoredObject",
    "idempotency_keys",
    "publisher",
    "tenants",
]


class Base(DeclarativeBase):
    metadata = service_metadata("archive")


_platform = platform_tables(Base.metadata)
tenants = _platform.tenants
idempotency_keys = _platform.idempotency_keys
#: ``govproj.archive.*`` events; their contracts carry the tenant in the subject only.
publisher = Publisher("archive", names_tenant=False)


class Project(TenantMixin, Base):
    """A replica of the registry's project: its tenant and unit (services/archive/replica.py).

    The archive files documents, packages and acceptances under a project only
    when the project is in this replica in the caller's own tenant, and takes
    the unit from here for the authorization model's unit scope.
    """

    __tablename__ = "projects"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    unit_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid, nullable=True)
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    state: Mapped[str] = mapped_column(sa.String(32), nullable=False, default="")
    # The registry's project version: an older event never overwrites a newer one.
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)


class StoredObject(TenantMixin, Base):
    """One object version in the tenant's bucket and the fixity recorded as it was written."""

    __tablename__ = "stored_objects"
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "bucket", "key", "version_id"),
        sa.CheckConstraint("kind IN ('document', 'package')", name="kind_known"),
        sa.CheckConstraint("size >= 0", name="size_non_negative"),
        # The rotating audit takes the least recently verified first.
        sa.Index("ix_stored_objects_tenant_id_last_verified_at", "tenant_id", "last_verified_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    bucket: Mapped[str] = mapped_column(sa.String(63), nullable=False)
    key: Mapped[str] = mapped_column(sa.String(1024), nullable=False)
    version_id: Mapped[str] = mapped_column(sa.String(128), nullable=False)
    size: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    sha256: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    sm3: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    # The lock as read back from the store; NULL until then. ``retain_until`` is
    # the planned date from the moment the row is written (the lock is applied
    # only after the row commits: nothing is locked before it is accepted).
    retention_mode: Mapped[str | None] = mapped_column(sa.String(16), nullable=True)
    retain_until: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    legal_hold: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    hold_requested: Mapped[bool] = mapped_column(
        sa.Boolean, nullable=False, default=False, server_default=sa.false()
    )
    # When the lock was read back; NULL: committed, lock pending (the audit applies it).
    locked_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)
    last_verified_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # ok | changed | missing: what the last audit found.
    last_status: Mapped[str | None] = mapped_column(sa.String(16), nullable=True)


class Document(TenantMixin, Base):
    """An electronic document (电子文件) and its descriptive metadata (著录项)."""

    __tablename__ = "documents"
    __table_args__ = (sa.Index("ix_documents_tenant_id_created_at", "tenant_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(500), nullable=False)  # 题名
    doc_type: Mapped[str] = mapped_column(sa.String(48), nullable=False)  # 文件类型
    doc_number: Mapped[str | None] = mapped_column(sa.String(100), nullable=True)  # 文号
    doc_date: Mapped[date] = mapped_column(sa.Date, nullable=False)  # 成文日期
    author_unit: Mapped[str] = mapped_column(sa.String(200), nullable=False)  # 责任者
    # The 建设单位 the document was filed for (the project's unit, or the unit-bound
    # uploader's); NULL: the bureau's. The unit scope of ADR 0008 reads it.
    unit_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid, nullable=True)
    security_level: Mapped[str] = mapped_column(sa.String(16), nullable=False)  # 密级
    retention_period: Mapped[str] = mapped_column(sa.String(16), nullable=False)  # 保管期限
    current_version_id: Mapped[str | None] = mapped_column(sa.String(128), nullable=True)
    version_count: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    created_by: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)


class DocumentVersion(TenantMixin, Base):
    """One version of a document's bytes, addressed by the store's version id."""

    __tablename__ = "document_versions"
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "document_id", "version_id"),
        sa.UniqueConstraint("tenant_id", "document_id", "seq"),
    )

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    document_id: Mapped[uuid.UUID] = mapped_column(
        sa.Uuid, sa.ForeignKey("documents.id"), nullable=False, index=True
    )
    seq: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    version_id: Mapped[str] = mapped_column(sa.String(128), nullable=False)
    object_id: Mapped[uuid.UUID] = mapped_column(
        sa.Uuid, sa.ForeignKey("stored_objects.id"), nullable=False, index=True
    )
    filename: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    content_type: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    created_by: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)


class Attachment(TenantMixin, Base):
    """A document attached to a project (registry id), and optionally to one of its steps."""

    __tablename__ = "attachments"
    __table_args__ = (
        sa.UniqueConstraint(
            "tenant_id", "document_id", "project_id", "step_id", postgresql_nulls_not_distinct=True
        ),
        sa.Index("ix_attachments_tenant_id_project_id", "tenant_id", "project_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    document_id: Mapped[uuid.UUID] = mapped_column(
        sa.Uuid, sa.ForeignKey("documents.id"), nullable=False, index=True
    )
    project_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, nullable=False)
    step_id: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    created_by: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)


class Package(TenantMixin, Base):
    """An archive package (归档信息包) of one project: a BagIt bag.

    Since issue 16 the bag is not stored as another locked copy of every
    document: the row keeps the tag files (manifests, bag-info, metadata) and
    the exact tar's size and digests, and the tar is generated on download
    from the locked document versions (docs/adr/0005-archive.md). Packages made
    before keep their stored tar (``object_id``).
    """

    __tablename__ = "packages"
    __table_args__ = (sa.Index("ix_packages_tenant_id_project_id", "tenant_id", "project_id"),)

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    project_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, nullable=False)
    object_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.Uuid, sa.ForeignKey("stored_objects.id"), nullable=True
    )
    # The generated tar: tag file name -> text, and the tar's size and digests.
    tag_files: Mapped[dict[str, str] | None] = mapped_column(JSONB, nullable=True)
    tar_size: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)
    tar_sha256: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    tar_sm3: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    item_count: Mapped[int] = mapped_column(sa.Integer, nullable=False)  # 总件数
    byte_total: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)  # 总字节数
    # One entry per payload file: path, document, version, size and digests.
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False)
    bag_info: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    created_by: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)


class CheckReport(TenantMixin, Base):
    """One run of the 四性检测 catalogue over a package, at one stage."""

    __tablename__ = "check_reports"
    __table_args__ = (sa.Index("ix_check_reports_tenant_id_package_id", "tenant_id", "package_id"),)

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    package_id: Mapped[uuid.UUID] = mapped_column(
        sa.Uuid, sa.ForeignKey("packages.id"), nullable=False
    )
    project_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, nullable=False)
    stage: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    catalogue_version: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    results: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False)
    summary: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    # Whether the report admits archive acceptance: no blocking failure, nothing not run.
    acceptable: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    created_by: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    # 检测人 as the report prints it (the login id above is no one's name); None
    # for reports made before it was kept.
    created_by_name: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)


class ArchiveAcceptance(TenantMixin, Base):
    """档案验收: the decision on a project's package, from a check report (Potou 第二十三条)."""

    __tablename__ = "archive_acceptances"
    __table_args__ = (
        sa.CheckConstraint("outcome IN ('passed', 'failed')", name="outcome_known"),
        sa.Index("ix_archive_acceptances_tenant_id_project_id", "tenant_id", "project_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    project_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, nullable=False)
    package_id: Mapped[uuid.UUID] = mapped_column(
        sa.Uuid, sa.ForeignKey("packages.id"), nullable=False
    )
    report_id: Mapped[uuid.UUID] = mapped_column(
        sa.Uuid, sa.ForeignKey("check_reports.id"), nullable=False
    )
    outcome: Mapped[str] = mapped_column(sa.String(8), nullable=False)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False)
    decided_by: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    decided_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)


class FixityFinding(TenantMixin, Base):
    """What one fixity audit found wrong: an object changed, missing or untracked."""

    __tablename__ = "fixity_findings"
    __table_args__ = (
        sa.CheckConstraint(
            "classification IN ('changed', 'missing', 'untracked')", name="classification_known"
        ),
        sa.Index("ix_fixity_findings_tenant_id_audit_id", "tenant_id", "audit_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    audit_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, nullable=False)
    classification: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    object_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid, nullable=True)
    bucket: Mapped[str] = mapped_column(sa.String(63), nullable=False)
    key: Mapped[str] = mapped_column(sa.String(1024), nullable=False)
    version_id: Mapped[str] = mapped_column(sa.String(128), nullable=False)
    # Where the disagreement lies: "object" (the bytes), "record" (our row), "store".
    location: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    detail: Mapped[str] = mapped_column(sa.Text, nullable=False)
    found_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)


TENANT_TABLES = (
    "projects",
    "idempotency_keys",
    "stored_objects",
    "documents",
    "document_versions",
    "attachments",
    "packages",
    "check_reports",
    "archive_acceptances",
    "fixity_findings",
    "official_filings",
)


class OfficialFiling(TenantMixin, Base):
    """An official document (立项批复 / 备案确认) announced by its issuer, to be typeset and filed.

    Written by the consumer in the event's transaction (one row per issued
    document: a redelivery finds it); the filing worker renders the PDF, files
    it as a document and sets ``document_id`` in the transaction that writes
    the document's rows, so it is filed exactly once (docs/adr/0005-archive.md).
    """

    __tablename__ = "official_filings"

    # The issuer's id of the document (approval's approval_documents.id).
    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    project_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, nullable=False, index=True)
    kind: Mapped[str] = mapped_column(sa.String(16), nullable=False)  # approval | filing
    content: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)  # libs.gongwen
    actor: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    source_event_id: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    received_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)
    document_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid, nullable=True)
    filed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # The last failure (the project not yet in the replica, the renderer missing): why it waits.
    last_error: Mapped[str | None] = mapped_column(sa.Text)
