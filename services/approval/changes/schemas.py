"""Change requests (调整/变更) as the API takes and shows them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from libs.common.types import PlainText

ChangeKind = Literal["adjustment", "major_change", "late_delivery", "termination"]


class ChangeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: ChangeKind = Field(
        description="adjustment 调整 · major_change 重大变更 · late_delivery 逾期交付 · termination 终止"
    )
    reason: Annotated[PlainText, Field(min_length=1, max_length=4000)] = Field(description="理由")
    adjustment_amount: int = Field(default=0, ge=0, le=10**13, description="资金调整数额（元）")
    new_total: int | None = Field(default=None, ge=0, le=10**13, description="调整后总金额（元）")
    goals_unchanged: bool = Field(default=True, description="项目目标不变")


class ChangeRead(BaseModel):
    id: uuid.UUID
    tenant: str
    project_id: uuid.UUID
    kind: ChangeKind
    kind_label: str
    reason: str
    adjustment_amount: int
    new_total: int
    goals_unchanged: bool
    base_amount: int = Field(description="批复总金额（元）")
    cumulative_amount: int = Field(description="含本次的累计调整金额（元）")
    state: Literal["filed", "under_review", "approved", "returned", "rejected"]
    article: str | None
    explanation: str
    review_workflow_id: uuid.UUID | None
    created_at: datetime
    closed_at: datetime | None


class ChangeList(BaseModel):
    project_id: uuid.UUID
    approved_amount: int
    cumulative_adjustment: int = Field(description="建设单位已自行调整的累计金额（元）")
    items: list[ChangeRead]
