"""Disbursements, usage reports and surplus returns over HTTP."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from libs.common.types import PlainText
from services.budget.lines.schemas import Yuan

__all__ = [
    "DisbursementCreate",
    "DisbursementRead",
    "LineFigures",
    "SurplusReturnCreate",
    "SurplusReturnRead",
    "UsageFigures",
    "UsageReportCreate",
    "UsageReportRead",
    "VoucherNo",
]

VoucherNo = Annotated[str, Field(pattern=r"^[\x21-\x7e]{1,100}$", description="支付/退回凭证号")]


class DisbursementCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    line_id: uuid.UUID = Field(description="预算科目")
    amount: Yuan = Field(gt=0, le=10**13, description="支付金额（元，整数）")
    paid_on: date = Field(description="支付日期")
    voucher_no: VoucherNo
    contract_id: uuid.UUID | None = Field(default=None, description="所依据的合同")


class DisbursementRead(BaseModel):
    id: uuid.UUID
    project_id: uuid.UUID
    line_id: uuid.UUID
    line_kind: str | None
    amount: int
    paid_on: date
    voucher_no: str
    contract_id: uuid.UUID | None
    source: Literal["api", "finance"]
    disbursed_total: int = Field(description="截至本笔的累计支付（元）")


class UsageReportCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    period_start: date = Field(description="报告期起")
    period_end: date = Field(description="报告期止")
    narrative: PlainText | None = Field(default=None, max_length=4000, description="说明")


class LineFigures(BaseModel):
    line_id: uuid.UUID
    kind: str
    year: int | None
    amount: int
    disbursed_total: int
    balance: int


class UsageFigures(BaseModel):
    budget_total: int
    approved_total: int
    arranged_total: int
    disbursed_in_period: int
    disbursed_total: int
    surplus_returned_total: int
    by_line: list[LineFigures]


class UsageReportRead(BaseModel):
    report_id: uuid.UUID
    project_id: uuid.UUID
    period_start: date
    period_end: date
    article: str | None = Field(description="所依据的条款（如 坡头 第十五条）")
    narrative: str | None
    figures: UsageFigures


class SurplusReturnCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: Yuan = Field(gt=0, le=10**13, description="退回金额（元，整数）")
    returned_on: date = Field(description="退回日期")
    # 莱州 第十九条第一款: 按原渠道退回 — the only channel the regulation allows.
    channel: Literal["original"] = Field(default="original", description="退回渠道：原渠道")
    voucher_no: VoucherNo


class SurplusReturnRead(BaseModel):
    surplus_id: uuid.UUID
    project_id: uuid.UUID
    amount: int
    returned_on: date
    channel: str
    voucher_no: str
    article: str | None
    balance: int = Field(description="退回后的结余（元）")
