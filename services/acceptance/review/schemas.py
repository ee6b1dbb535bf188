"""The pre-acceptance review as the API reads and writes it."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from services.acceptance.schemas import Read, Text, Write

__all__ = [
    "ChecklistItemRead",
    "CitationRead",
    "EvidenceUpdate",
    "ReviewCreate",
    "ReviewDecisionCreate",
    "ReviewPlanRead",
    "ReviewRead",
]


class ReviewCreate(Write):
    note: Text | None = Field(default=None, description="申请说明")


class EvidenceUpdate(Write):
    evidence_document_ids: list[uuid.UUID] = Field(
        min_length=1, max_length=50, description="电子档案中的证明文件 id"
    )
    note: Text | None = None


class ReviewDecisionCreate(Write):
    outcome: Literal["pass", "return"] = Field(description="pass 通过 / return 退回")
    opinion: Text = Field(description="审核意见")


class CitationRead(Read):
    article: str | None = Field(description="依据条款")
    mandatory: bool
    explanation: str | None = None


class ChecklistItemRead(Read):
    code: str = Field(description="要求代码（vocabulary.md）")
    label: str
    mandatory: bool
    gate: Literal["review", "acceptance"] = Field(description="阻止哪一步：前置审核或验收")
    doc_types: list[str] | None = Field(description="可作证明的档案文件类型；null 为任意")
    archive_decision: bool = Field(description="仅由档案验收结论满足")
    citations: list[CitationRead]
    evidence_document_ids: list[str]
    archive_acceptance_id: str | None = None
    archive_outcome: str | None = None
    satisfied: bool
    note: str | None = None


class ReviewPlanRead(Read):
    mode: Literal["conformity_review", "self_check"]
    reviewer_role: str
    article: str | None
    explanation: str | None
    acceptance_role: str
    acceptance_article: str | None
    expert_review_article: str | None
    report_to: str | None


class ReviewRead(Read):
    id: uuid.UUID
    mode: str
    reviewer_role: str
    article: str | None
    status: Literal["open", "passed", "returned"]
    items: list[ChecklistItemRead]
    requested_by: dict[str, Any]
    requested_at: datetime
    decided_by: dict[str, Any] | None
    decided_at: datetime | None
    opinion: str | None
