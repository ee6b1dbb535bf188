"""Pydantic I/O of the budget service's HTTP API (amounts are integer yuan, never floats)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, model_validator

from libs.common.types import PlainText

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
Yuan = StrictInt  # a JSON number with a fraction, or a string, is refused (422)


class ProcurementStart(BaseModel):
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
    document_id: uuid.UUID = Field(description="合同文本在档案服务中的文档 id")


class ContractRead(BaseModel):
    id: uuid.UUID
    project_id: uuid.UUID
    submission: int
    supplier: str
    amount: int
    signed_on: date
    document_id: uuid.UUID


LineKind = Literal[
    "construction", "supervision", "third_party_testing", "security_assessment", "operations"
]
# 本级财政资金 / 财政新增资金 (潮州 第十三条) / 自有资金、上级补助、社会资金
Funding = Literal["fiscal", "new_fiscal", "non_fiscal"]


class LineCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: LineKind = Field(description="科目：建设、监理、第三方测试、安全评估、运维（分年度）")
    amount: Yuan = Field(ge=0, le=10**13, description="金额（元，整数）")
    year: int | None = Field(
        default=None, ge=2000, le=2100, description="预算年度（运维科目必填，其他科目不填）"
    )
    service_year: int | None = Field(
        default=None, ge=1, le=50, description="运维第几年（自验收起算；运维科目）"
    )
    funding: Funding = Field(default="fiscal", description="资金来源")
    finance_opinion_document_id: uuid.UUID | None = Field(
        default=None, description="财政部门意见（档案文档 id；涉及财政新增资金时）"
    )
    note: PlainText | None = Field(default=None, max_length=500)

    @model_validator(mode="after")
    def _year_only_for_operations(self) -> LineCreate:
        if self.kind == "operations" and self.year is None:
            raise ValueError("year: 运维科目须注明预算年度")
        if self.kind != "operations" and (self.year is not None or self.service_year is not None):
            raise ValueError("year: 只有运维科目分年度编报")
        return self


class LineRead(BaseModel):
    id: uuid.UUID
    project_id: uuid.UUID
    kind: str
    year: int | None
    service_year: int | None
    amount: int
    funding: str
    finance_opinion_document_id: uuid.UUID | None
    note: str | None
    version: int


class AdjustmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    from_line_id: uuid.UUID = Field(description="调出科目")
    to_line_id: uuid.UUID = Field(description="调入科目")
    amount: Yuan = Field(gt=0, le=10**13, description="调整金额（元，整数）")
    reason: PlainText = Field(min_length=1, max_length=1000, description="调整理由")


class AdjustmentRead(BaseModel):
    id: uuid.UUID
    project_id: uuid.UUID
    from_line_id: uuid.UUID
    to_line_id: uuid.UUID
    amount: int
    reason: str
    article: str | None
    adjusted_total: int
    adjustment_cap: int | None


VoucherNo = Annotated[str, Field(pattern=r"^[\x21-\x7e]{1,100}$", description="支付/退回凭证号")]


class DisbursementCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    line_id: uuid.UUID = Field(description="预算科目")
    amount: Yuan = Field(gt=0, le=10**13, description="支付金额（元，整数）")
    paid_on: date = Field(description="支付日期")
    voucher_no: VoucherNo
    contract_id: uuid.UUID | None = Field(default=None, description="所依据的合同")


class UsageReportCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    period_start: date = Field(description="报告期起")
    period_end: date = Field(description="报告期止")
    narrative: PlainText | None = Field(default=None, max_length=4000, description="说明")


class SurplusReturnCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: Yuan = Field(gt=0, le=10**13, description="退回金额（元，整数）")
    returned_on: date = Field(description="退回日期")
    # 莱州 第十九条第一款: 按原渠道退回 — the only channel the regulation allows.
    channel: Literal["original"] = Field(default="original", description="退回渠道：原渠道")
    voucher_no: VoucherNo
