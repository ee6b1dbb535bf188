"""Request bodies of the acceptance API (pydantic; unknown fields are refused)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CompletionIn(_In):
    completed_on: date = Field(description="建成日期（不得晚于今天）；验收期限自此计算")
    note: Text | None = Field(default=None, description="说明")


class ReviewIn(_In):
    note: Text | None = Field(default=None, description="申请说明")


class EvidenceIn(_In):
    evidence_document_ids: list[uuid.UUID] = Field(
        min_length=1, max_length=50, description="电子档案中的证明文件 id"
    )
    note: Text | None = None


class ReviewDecisionIn(_In):
    outcome: Literal["pass", "return"] = Field(description="pass 通过 / return 退回")
    opinion: Text = Field(description="审核意见")


class ExpertOpinion(_In):
    name: Short = Field(description="专家姓名")
    organization: Short | None = Field(default=None, description="工作单位")
    opinion: Text = Field(description="专家意见")
    conclusion: Literal["pass", "fail"] = Field(description="pass 同意通过 / fail 不同意")


class AcceptanceIn(_In):
    outcome: Literal["passed", "failed"] = Field(
        description="验收结论：passed 通过 / failed 不通过"
    )
    held_on: date = Field(description="验收日期（不得晚于今天，不得早于建成日期）")
    report_document_id: uuid.UUID = Field(description="电子档案中的验收报告（acceptance_report）")
    expert_opinions: list[ExpertOpinion] = Field(
        min_length=1, max_length=50, description="专家意见"
    )
    conclusion: Text = Field(description="验收意见")


class OperationIn(_In):
    in_operation_on: date = Field(description="投入使用日期")


class EvaluationIn(_In):
    kind: Literal["self_evaluation", "performance_evaluation", "post_evaluation", "standard"]
    report_document_id: uuid.UUID = Field(description="电子档案中的报告（标准文本为 other）")
    submitted_on: date = Field(description="提交（发布）日期，不得晚于今天")
    summary: Text = Field(description="摘要")
    rating: Short | None = Field(default=None, description="评价等级")
    draw_id: uuid.UUID | None = Field(default=None, description="绩效后评估：抽中本项目的抽取记录")


class ExtensionIn(_In):
    until: date = Field(description="申请延期至")
    reason: Text = Field(description="不能按期验收的原因")


class ExtensionDecisionIn(_In):
    outcome: Literal["grant", "refuse"]
    opinion: Text


class DrawIn(_In):
    year: int = Field(ge=2000, le=2100, description="评估年度")
    count: int = Field(ge=1, le=1000, description="抽取项目数")
    project_ids: list[uuid.UUID] | None = Field(
        default=None,
        max_length=5000,
        description="限定项目库（须为可抽取项目）；默认全部可抽取项目",
    )
    evaluator_pool: list[Short] = Field(
        default_factory=list, max_length=1000, description="评估人员库"
    )
    evaluator_count: int = Field(default=0, ge=0, le=100, description="抽取评估人员数")
    seed: Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z_-]{8,128}$")] | None = Field(
        default=None, description="随机种子（默认由系统生成并记录）"
    )
