"""Procurement and contracts over HTTP."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from libs.common.types import PlainText
from services.budget.lines.schemas import Yuan

__all__ = [
    "ContractCreate",
    "ContractRead",
    "ProcurementCreate",
    "ProcurementMethod",
    "ProcurementRead",
]

# 政府采购法 第二十六条 的采购方式, plus 框架协议采购 (财政部令第110号) and 建设单位自行采购
# (below the 集中采购目录 threshold).
ProcurementMethod = Literal[
    "public_tender",
    "invitational_tender",
    "competitive_negotiation",
    "competitive_consultation",
    "single_source",
    "inquiry",
    "framework_agreement",
    "self_procurement",
]


class ProcurementCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    method: ProcurementMethod = Field(description="采购方式")
    started_on: date = Field(description="采购启动日期")


class ProcurementRead(BaseModel):
    id: uuid.UUID
    project_id: uuid.UUID
    submission: int
    method: str
    started_on: date


class ContractCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    supplier: PlainText = Field(min_length=1, max_length=200, description="供应商（中标/成交单位）")
    amount: Yuan = Field(gt=0, le=10**13, description="合同金额（元，整数）")
    signed_on: date = Field(description="签订日期")
    document_id: uuid.UUID = Field(
        description="合同文本：电子档案中本项目的文档 id（文件类型 contract）"
    )


class ContractRead(BaseModel):
    id: uuid.UUID
    project_id: uuid.UUID
    submission: int
    supplier: str
    amount: int
    signed_on: date
    document_id: uuid.UUID
