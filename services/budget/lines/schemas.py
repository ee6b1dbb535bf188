"""Budget lines and adjustments over HTTP (amounts are integer yuan, never floats)."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, model_validator

from libs.common.types import PlainText

__all__ = [
    "AdjustmentCreate",
    "AdjustmentRead",
    "Funding",
    "LineCreate",
    "LineKind",
    "LineRead",
    "MissingLine",
    "Yuan",
]

Yuan = StrictInt  # a JSON number with a fraction, or a string, is refused (422)
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
        default=None,
        description="财政部门意见（电子档案中本项目的文档 id，文件类型 review_opinion；涉及财政新增资金时）",
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


class MissingLine(BaseModel):
    """A mandatory 监理 / 第三方测试 / 安全评估 the decision requires but no line budgets."""

    kind: str
    article: str
    articles: list[str]
    explanation: str | None
