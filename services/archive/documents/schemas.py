"""The archive's I/O models (pydantic) for documents, versions, attachments and legal holds."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from libs.common.types import PlainText
from services.archive.vocab import DocumentType, RetentionPeriod, SecurityLevel

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
