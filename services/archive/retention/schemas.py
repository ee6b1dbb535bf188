"""The archive's I/O models (pydantic) for fixity audits and their findings."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field


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
