"""archive I/O models (pydantic): documents, versions, packages, reports, audits."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from libs.common.types import PlainText
from services.archive.vocab import DocumentType, RetentionPeriod, SecurityLevel, Stage

StepId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")]


class DocumentCreate(BaseModel):
    """The descriptive metadata (著录项) sent with an upload."""

    model_config = ConfigDict(extra="forbid")

    title: Annotated[PlainText, Field(max_length=500, description="题名")]
    doc_type: Annotated[DocumentType, Field(description="文件类型（受控词表）")]
    doc_number: Annotated[PlainText | None, Field(max_length=100, description="文号")] = None
    doc_date: Annotated[date, Field(description="成文日期")]
    author_unit: Annotated[PlainText, Field(max_length=200, description="责任者（形成单位）")]
    security_level: Annotated[SecurityLevel, Field(description="密级：非密或内部")]
    retention_period: Annotated[RetentionPeriod, Field(description="保管期限")]
    project_id: Annotated[uuid.UUID | None, Field(description="所属项目")] = None
    step_id: Annotated[StepId | None, Field(description="所属环节")] = None
    legal_hold: Annotated[bool, Field(description="同时设置法律保全")] = False


class VersionRead(BaseModel):
    """One version of a document's bytes."""

    model_config = ConfigDict(from_attributes=True)

    version_id: str
    seq: int
    filename: str
    content_type: str
    size: int
    sha256: str
    sm3: str
    retention_mode: str | None
    retain_until: datetime | None
    legal_hold: bool
    created_by: str
    created_at: datetime


class AttachmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    project_id: uuid.UUID
    step_id: str | None


class DocumentRead(BaseModel):
    """A document with its metadata, its current version and where it is attached."""

    id: uuid.UUID
    title: str
    doc_type: str
    doc_number: str | None
    doc_date: date
    author_unit: str
    security_level: str
    retention_period: str
    current_version: VersionRead | None
    version_count: int
    attachments: list[AttachmentRead]
    created_by: str
    created_at: datetime


class AttachmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    project_id: uuid.UUID
    step_id: StepId | None = None


class LegalHoldUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    on: bool


class PackageCreate(BaseModel):
    """Which documents go in the package: all attached to the project when omitted."""

    model_config = ConfigDict(extra="forbid")

    document_ids: Annotated[list[uuid.UUID] | None, Field(max_length=10000)] = None


class PackageItem(BaseModel):
    path: str
    document_id: uuid.UUID
    version_id: str
    size: int
    sha256: str
    sha512: str
    sm3: str


class PackageRead(BaseModel):
    id: uuid.UUID
    project_id: uuid.UUID
    item_count: int
    byte_total: int
    items: list[PackageItem]
    bag_info: dict[str, Any]
    # The tar's size and digests (generated on download; stored for older packages).
    size: int
    sha256: str
    sm3: str
    # The stored tar's version and lock: only packages built before issue 16 have one.
    version_id: str | None
    retain_until: datetime | None
    created_by: str
    created_at: datetime


class PackageVerification(BaseModel):
    package_id: uuid.UUID
    valid: bool
    problems: list[str]


class CheckRun(BaseModel):
    model_config = ConfigDict(extra="forbid")

    stage: Stage = "transfer"


class ManualOutcome(BaseModel):
    """A person's finding on a manual check item (人工确认)."""

    model_config = ConfigDict(extra="forbid")

    outcome: Literal["pass", "fail"] = Field(description="pass 通过 / fail 不通过")
    note: PlainText = Field(
        min_length=2, max_length=500, description="查验说明（查验了什么、依据）"
    )


class ItemResult(BaseModel):
    item: str
    stage: str
    property: str
    name: str
    standard: str
    blocking: bool
    outcome: Literal["pass", "fail", "not_run", "manual_pending"]
    details: list[dict[str, Any]]


class CheckReportRead(BaseModel):
    id: uuid.UUID
    package_id: uuid.UUID
    project_id: uuid.UUID
    stage: str
    catalogue_version: str
    results: list[ItemResult]
    summary: dict[str, Any]
    acceptable: bool
    created_by: str
    created_at: datetime


class AcceptanceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    package_id: uuid.UUID


class AcceptanceRead(BaseModel):
    id: uuid.UUID
    project_id: uuid.UUID
    package_id: uuid.UUID
    report_id: uuid.UUID
    outcome: Literal["passed", "failed"]
    reasons: list[dict[str, Any]]
    decided_by: str
    decided_at: datetime


class FindingRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    classification: Literal["changed", "missing", "untracked"]
    bucket: str
    key: str
    version_id: str
    location: str
    detail: str
    object_id: uuid.UUID | None


class AuditRun(BaseModel):
    model_config = ConfigDict(extra="forbid")

    batch_size: Annotated[int, Field(ge=1, le=10000)] = 100


class AuditRead(BaseModel):
    audit_id: uuid.UUID
    verified: int
    ok: int
    findings: list[FindingRead]
