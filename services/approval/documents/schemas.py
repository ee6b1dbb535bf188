"""The approval document as the API shows it."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, Field


class DutyRead(BaseModel):
    """A duty the project carries into implementation, acceptance and after, with its article."""

    code: str
    stage: str
    actor: str
    article: str
    explanation: str


class ApprovalDocumentRead(BaseModel):
    """立项批复 / 备案确认: number, amount, validity and budget year, each with its article."""

    id: uuid.UUID
    kind: Literal["approval", "filing"] = Field(description="approval 立项批复 · filing 备案确认")
    number: str = Field(description="文号")
    approved_on: date
    approved_amount: int = Field(description="核定金额（元）")
    article: str
    valid_until: date | None = Field(description="有效期至（含）")
    validity_article: str | None
    expired: bool = Field(description="已超过有效期且尚未开始采购")
    budget_year: int | None
    enters_next_year_budget: bool | None
    cutoff_article: str | None
    implementation_started_on: date | None
    duties: list[DutyRead]

    @classmethod
    def of(cls, view: dict[str, Any]) -> ApprovalDocumentRead:
        """From :func:`services.approval.documents.service.document_view` (one shape for both)."""
        return cls.model_validate(view)
