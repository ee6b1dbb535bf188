"""The archive's I/O models (pydantic) for archive packages (BagIt) and their verification."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field


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
