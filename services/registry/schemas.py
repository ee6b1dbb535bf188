"""Registry API payloads."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from libs.common.types import PlainText

TenantLevel = Literal["province", "city", "county"]


class TenantCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=r"^[0-9]{6}$", description="GB/T 2260 行政区划代码（六位）")
    name: PlainText = Field(min_length=1, max_length=100, description="名称，如 郁南县")
    level: TenantLevel = Field(description="province 省 / city 市 / county 县、县级市、区")
    parent_code: str | None = Field(
        default=None, pattern=r"^[0-9]{6}$", description="上级行政区划代码"
    )


class TenantUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: PlainText = Field(min_length=1, max_length=100)


class TenantRead(BaseModel):
    code: str
    name: str
    level: TenantLevel
    parent_code: str | None
    version: int
    updated_at: datetime


class UnitCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: PlainText = Field(min_length=1, max_length=200, description="建设单位名称")
    credit_code: str | None = Field(
        default=None,
        pattern=r"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$",
        description="统一社会信用代码（18位）",
    )


class UnitRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    tenant_id: str
    name: str
    credit_code: str | None
    created_at: datetime
