"""Oversight payloads: one summary row per child jurisdiction."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel


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
    systems: dict[str, int]
    next_plan_year: int
    next_plan_state: str
    next_plan_due: date | None
    # The plan for next year is past its policy's due date and not consolidated.
    plan_overdue: bool


class OversightSummary(BaseModel):
    tenant: str
    jurisdictions: list[JurisdictionSummary]
