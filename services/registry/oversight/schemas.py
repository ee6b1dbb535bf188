"""Oversight payloads: one summary row per child jurisdiction."""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel, Field


class Bucket(BaseModel):
    count: int
    amount: int


class JurisdictionSummary(BaseModel):
    tenant: str
    name: str
    tenants: list[str]
    projects: Bucket
    by_state: dict[str, Bucket]
    by_route: dict[str, Bucket]
    by_year: dict[int, Bucket] = Field(description="按建设年度")
    overdue: int = Field(description="已过期限而未办结的审批阶段期限数（审批时限、批复有效期）")
    systems: dict[str, int]
    next_plan_year: int
    next_plan_state: str
    next_plan_due: date | None
    # The plan for next year is past its policy's due date and not consolidated.
    plan_overdue: bool


class OversightSummary(BaseModel):
    tenant: str
    jurisdictions: list[JurisdictionSummary]


class OverdueLimit(BaseModel):
    """An approval-stage time limit past its day while the project has not met it."""

    project_id: uuid.UUID
    name: str
    tenant_id: str
    state: str
    code: str
    date: date
    article: str | None
