"""What finance sees of a project, and the year's budget arrangements, over HTTP."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from libs.common.types import PlainText
from services.budget.lines.schemas import AdjustmentRead, Funding, LineRead, MissingLine, Yuan
from services.budget.usage.schemas import DisbursementRead, UsageFigures

__all__ = [
    "ArrangementCreate",
    "ArrangementRead",
    "ArrangementYearItem",
    "ArrangementYearRead",
    "BudgetLineRead",
    "BudgetPage",
    "BudgetRead",
    "BudgetSummary",
    "FinanceReviewRead",
    "SurplusReturnListed",
    "UsageDue",
    "UsageReportListed",
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


class ArrangementCreate(BaseModel):
    """预算安排 the finance office records by hand (下达文号、年度、金额)."""

    model_config = ConfigDict(extra="forbid")

    notice_no: PlainText = Field(min_length=1, max_length=100, description="预算下达文号")
    year: int = Field(ge=2000, le=2100, description="预算年度")
    amount: Yuan = Field(gt=0, le=10**13, description="安排金额（元，整数）")
    notified_on: date = Field(description="下达日期")
    funding: Funding = Field(default="fiscal", description="资金来源")


class BudgetLineRead(LineRead):
    """A line with what was paid from it (计划/已用/剩余)."""

    disbursed_total: int = Field(description="已支付（元）")
    balance: int = Field(description="剩余（元）")


class UsageReportListed(BaseModel):
    """A usage report as the project's budget lists it."""

    report_id: uuid.UUID
    period_start: date
    period_end: date
    article: str | None
    narrative: str | None
    figures: UsageFigures


class SurplusReturnListed(BaseModel):
    """A surplus return as the project's budget lists it."""

    surplus_id: uuid.UUID
    amount: int
    returned_on: date
    channel: str
    voucher_no: str
    article: str | None


class UsageDue(BaseModel):
    """Payments the pack requires to be reported (坡头 第十五条) that no report covers yet."""

    amount: int = Field(description="未报告的支付（元）")
    since: date | None = Field(description="最近一期报告的截止日（从未报告为空）")
    article: str


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
    lines: list[BudgetLineRead]
    missing_lines: list[MissingLine]
    finance_reviews: list[FinanceReviewRead]
    arrangements: list[ArrangementRead]
    adjustments: list[AdjustmentRead]
    disbursements: list[DisbursementRead]
    usage_reports: list[UsageReportListed]
    usage_report_due: UsageDue | None = Field(description="须报告而未报告的资金使用（有条款时）")
    surplus_returns: list[SurplusReturnListed]
    arranged_total: int
    disbursed_total: int
    surplus_returned_total: int
    balance: int


class BudgetSummary(BaseModel):
    """One row of finance's overview (资金联动): a project's figures without its details."""

    project_id: uuid.UUID
    tenant: str
    name: str | None = Field(description="项目名称（自登记申报事件）")
    unit_id: uuid.UUID | None
    status: str
    route: str
    amount: int
    finance_review_status: str | None = Field(description="最近一次资金审核的状态")
    finance_review_outcome: str | None
    finance_approved_amount: int | None
    approved_amount: int | None
    arranged_total: int
    disbursed_total: int
    surplus_returned_total: int
    balance: int


class BudgetPage(BaseModel):
    items: list[BudgetSummary]
    next_cursor: str | None = Field(description="下一页的游标；为空表示没有更多")


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
