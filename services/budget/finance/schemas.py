"""What finance sees of a project, and the year's budget arrangements, over HTTP."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from services.budget.lines.schemas import LineRead, MissingLine

__all__ = [
    "ArrangementRead",
    "ArrangementYearItem",
    "ArrangementYearRead",
    "BudgetRead",
    "FinanceReviewRead",
    "YearAmount",
]


class YearAmount(BaseModel):
    year: int
    amount: int


class FinanceReviewRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    step_id: str
    workflow_id: str
    submission: int
    status: str = Field(
        description="requested 待财政答复 / answered 已答复 / closed 已在审批中办结"
    )
    requested_amount: int
    outcome: str | None
    approved_amount: int | None
    opinion: str | None
    funding_by_year: list[YearAmount] | None
    answered_by: str | None
    article: str | None


class ArrangementRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    notice_no: str
    year: int
    amount: int
    funding: str
    notified_on: date
    notified_by: str


class BudgetRead(BaseModel):
    """项目预算概况: the project's budget as finance sees it."""

    project_id: uuid.UUID
    tenant: str
    submission: int
    status: str
    route: str
    amount: int = Field(description="申报的项目总投资（元）")
    approved_amount: int | None = Field(description="批复金额（元）；财政答复后为财政核定金额")
    finance_approved_amount: int | None
    approval: dict[str, Any] | None = Field(description="立项/备案批复（文号、日期、条款）")
    total: int = Field(description="预算科目所对应的总额（元）")
    investment_total: int
    lines: list[LineRead]
    missing_lines: list[MissingLine]
    finance_reviews: list[FinanceReviewRead]
    arrangements: list[ArrangementRead]
    disbursed_total: int
    surplus_returned_total: int
    balance: int


class ArrangementYearItem(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    tenant: str = Field(validation_alias=AliasChoices("tenant", "tenant_id"))
    notice_no: str
    project_id: uuid.UUID
    amount: int
    funding: str
    notified_on: date
    notified_by: str


class ArrangementYearRead(BaseModel):
    year: int
    total: int
    items: list[ArrangementYearItem]
