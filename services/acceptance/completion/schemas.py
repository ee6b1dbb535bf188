"""Completion, acceptance, operation and the project's acceptance record, as the API has them."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import Field

from services.acceptance.deadlines.schemas import DeadlineRead, ExtensionRead
from services.acceptance.evaluations.schemas import EvaluationRead
from services.acceptance.review.schemas import ChecklistItemRead, ReviewPlanRead, ReviewRead
from services.acceptance.schemas import Read, Short, Text, Write

__all__ = [
    "AcceptanceCreate",
    "AcceptanceRead",
    "AcceptanceRecordRead",
    "CompletionCreate",
    "DatesRead",
    "DocumentRead",
    "ExpertOpinion",
    "OperationCreate",
]


class CompletionCreate(Write):
    completed_on: date = Field(description="建成日期（不得晚于今天）；验收期限自此计算")
    note: Text | None = Field(default=None, description="说明")


class ExpertOpinion(Write):
    name: Short = Field(description="专家姓名")
    organization: Short | None = Field(default=None, description="工作单位")
    opinion: Text = Field(description="专家意见")
    conclusion: Literal["pass", "fail"] = Field(description="pass 同意通过 / fail 不同意")


class AcceptanceCreate(Write):
    outcome: Literal["passed", "failed"] = Field(
        description="验收结论：passed 通过 / failed 不通过"
    )
    held_on: date = Field(description="验收日期（不得晚于今天，不得早于建成日期）")
    report_document_id: uuid.UUID = Field(description="电子档案中的验收报告（acceptance_report）")
    expert_opinions: list[ExpertOpinion] = Field(
        min_length=1, max_length=50, description="专家意见"
    )
    conclusion: Text = Field(description="验收意见")


class OperationCreate(Write):
    in_operation_on: date = Field(description="投入使用日期")


class AcceptanceRead(Read):
    id: uuid.UUID
    outcome: Literal["passed", "failed"]
    held_on: date
    report_document_id: uuid.UUID
    expert_opinions: list[dict[str, Any]]
    conclusion: str
    article: str | None
    recorded_by: dict[str, Any]
    recorded_at: datetime


class DatesRead(Read):
    implementing_on: date | None = Field(description="建设期开始（首份合同签订）")
    completed_on: date | None
    accepted_on: date | None
    in_operation_on: date | None


class DocumentRead(Read):
    id: uuid.UUID
    doc_type: str | None
    title: str | None


class AcceptanceRecordRead(Read):
    """Everything acceptance knows of one project: for the console, auditors and tests."""

    project_id: uuid.UUID
    tenant_id: str
    submission: int
    name: str | None
    unit_id: str | None
    amount: int | None
    route: str | None
    state: str = Field(description="生命周期状态（vocabulary.md）")
    policy: dict[str, Any] | None = Field(description="作出判定的政策包")
    decision_id: str | None
    approval: dict[str, Any] | None
    dates: DatesRead
    archive_acceptance: dict[str, Any] | None
    review_plan: ReviewPlanRead
    checklist: list[ChecklistItemRead]
    reviews: list[ReviewRead]
    acceptances: list[AcceptanceRead]
    deadlines: list[DeadlineRead]
    extensions: list[ExtensionRead]
    documents: list[DocumentRead]
    evaluations: list[EvaluationRead]
