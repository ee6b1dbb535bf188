"""Annual plan payloads."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from libs.common.types import PlainText


class DemandCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    unit_id: uuid.UUID = Field(description="申报需求的建设单位（本辖区）")
    name: PlainText = Field(min_length=1, max_length=200, description="拟建项目名称")
    project_class: Literal["public", "professional"]
    amount: int = Field(ge=0, le=10**13, description="预计总投资（元）")
    description: str | None = Field(default=None, max_length=4000)


class DemandRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    tenant_id: str
    plan_id: uuid.UUID
    unit_id: uuid.UUID
    name: str
    project_class: str
    amount: int
    description: str | None
    state: Literal["submitted", "included", "excluded"]
    submitted_on: date
    submitted_by: str


class Consolidate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    exclude: list[uuid.UUID] = Field(default_factory=list, description="不纳入计划的需求条目")


class PlanRead(BaseModel):
    id: uuid.UUID | None
    tenant_id: str
    year: int
    state: Literal["collecting", "consolidated"]
    due: date | None = Field(description="需求申报截止日（政策 annual_plan_due）；无则不设")
    due_article: str | None
    window_open: bool
    consolidated_at: datetime | None
    consolidated_by: str | None
    # The items themselves are paged: GET /v1/plans/{year}/items.
    item_count: int = Field(description="需求条目数")
    excluded_count: int = Field(description="其中不纳入计划的条目数")
    total_amount: int = Field(description="纳入（或尚未排除）的条目的预计总投资合计（元）")
