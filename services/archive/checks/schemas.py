"""The archive's I/O models (pydantic) for 四性检测 reports, manual items and 档案验收."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from libs.common.types import PlainText
from services.archive.vocab import Stage


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
    virus_database: Literal["official", "test_only"] | None = Field(
        description="病毒扫描所用病毒库：official 官方病毒库，test_only 仅含测试特征码（开发环境）"
    )
    created_by: str
    created_by_name: str = Field(description="检测人姓名（早于本版本的报告为“（未署名）”）")
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
