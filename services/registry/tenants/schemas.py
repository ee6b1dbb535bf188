"""Tenant (行政区划) payloads."""

from __future__ import annotations

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
