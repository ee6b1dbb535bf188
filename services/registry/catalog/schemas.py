"""Catalog API payloads."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from libs.common.types import PlainText

SystemState = Literal["planned", "in_operation", "decommissioned"]
Disposition = Literal["backup", "migration", "destruction"]


class SystemFacts(BaseModel):
    """The facts the rules ask of a system (vocabulary.md, docs/vocabulary-extensions.md)."""

    shares_data: bool = Field(default=True, description="按要求共享数据")
    duplicate_collection: bool = Field(default=False, description="重复采集数据")
    crypto_compliant: bool = Field(default=True, description="符合密码应用要求")
    security_compliant: bool = Field(default=True, description="符合网络安全等级保护要求")
    secure_reliable: bool = Field(default=True, description="符合安全可靠应用政策")
    hosted_on_gov_cloud: bool = Field(default=False, description="部署在政务云")


class SystemCreate(SystemFacts):
    model_config = ConfigDict(extra="forbid")

    unit_id: uuid.UUID = Field(description="主管建设（使用）单位（本辖区）")
    name: PlainText = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=4000)
    state: Literal["planned", "in_operation"] = Field(
        default="planned", description="planned 规划中；已在运行的存量系统登记为 in_operation"
    )


class SystemUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: PlainText | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=4000)
    shares_data: bool | None = None
    duplicate_collection: bool | None = None
    crypto_compliant: bool | None = None
    security_compliant: bool | None = None
    secure_reliable: bool | None = None
    hosted_on_gov_cloud: bool | None = None


class SystemDecommission(BaseModel):
    """莱政办发〔2022〕6号 第三十八条: 对数据和设备等进行备份、迁移或销毁."""

    model_config = ConfigDict(extra="forbid")

    disposition: Disposition = Field(
        description="数据处置：backup 备份 / migration 迁移 / destruction 销毁"
    )
    evidence_document_id: uuid.UUID = Field(
        description="处置证明：本辖区电子档案中的文件编号（其他、监理报告、验收报告或安全评估报告）"
    )
    reason: PlainText = Field(min_length=1, max_length=1000, description="停用原因")


class LinkedProject(BaseModel):
    project_id: uuid.UUID
    relation: str
    name: str | None = Field(default=None, description="项目名称（调用者不可见的项目为空）")
    state: str | None = Field(default=None, description="项目状态（调用者不可见的项目为空）")


class SystemRead(SystemFacts):
    id: uuid.UUID
    tenant_id: str
    unit_id: uuid.UUID
    name: str
    description: str | None
    state: SystemState
    disposition: Disposition | None
    evidence_document_id: str | None
    decommission_reason: str | None
    registered_at: datetime
    in_operation_at: datetime | None
    decommissioned_at: datetime | None
    version: int
    projects: list[LinkedProject]
    # 坡头区 第七条 "只减不增": the unit's count of live systems exceeds its count on 1 January.
    unit_count_grows: bool


class CountPoint(BaseModel):
    on: date
    count: int


class UnitSystemCount(BaseModel):
    unit_id: uuid.UUID
    tenant_id: str
    baseline_on: date
    baseline: int
    current: int
    grows: bool = Field(description="总量较年初增加（坡头区 第七条 “只减不增”）")
    article: str
    series: list[CountPoint]
