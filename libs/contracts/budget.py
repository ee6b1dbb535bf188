"""Events the budget service publishes, and what the finance system sends it.

The finance system integrates through exactly these contracts (docs/asyncapi.yaml,
docs/budget.md): it consumes ``govproj.<tenant>.budget.>`` and answers on
``finance.<tenant>.>``. Answers are closed objects; an answer that breaks its
contract is dead-lettered with the reason and changes nothing.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from libs.contracts._base import (
    Answer,
    ClosedPart,
    Contract,
    Day,
    Id,
    Part,
    ProjectRef,
    TenantPayload,
    Yuan,
    answer,
    platform,
)

__all__ = ["CONTRACTS"]

LineKind = Literal[
    "construction", "supervision", "third_party_testing", "security_assessment", "operations"
]
Funding = Literal["fiscal", "new_fiscal", "non_fiscal"]
Outcome = Literal["approve", "return", "reject"]
Year = Annotated[int, Field(ge=2000, le=2100)]
ShortId = Annotated[str, Field(min_length=1, max_length=64)]
Text = Annotated[str, Field(min_length=1, max_length=4000)]
Article = Annotated[str | None, Field(description="所依据的条款（第N条）")]


class Line(Part):
    """A budget line as finance sees it in a review request."""

    id: Id | None = None
    kind: LineKind
    year: int | None = None
    service_year: int | None = None
    amount: Yuan
    funding: Funding | None = None


class YearAmount(ClosedPart):
    """One year of a funding arrangement (closed, as in the answer it comes from)."""

    year: Year
    amount: Yuan


class ReplyTo(Part):
    subject: str
    type: str


class ReviewRequested(ProjectRef):
    submission: int = Field(ge=1)
    review_id: Id
    workflow_id: ShortId | None = None
    step_id: ShortId
    decision_id: str | None = None
    route: str | None = None
    project_name: str | None = None
    requested_amount: Yuan
    project_class: str | None = None
    new_fiscal_funds: bool | None = None
    lines: list[Line] = Field(default_factory=list)
    article: Article = None
    explanation: str | None = None
    reply_to: ReplyTo = Field(description="答复的 subject 与 type")


class ReviewCompleted(ProjectRef):
    submission: int = Field(ge=1)
    review_id: Id | None = None
    workflow_id: ShortId | None = None
    step_id: ShortId
    outcome: Outcome
    requested_amount: Yuan | None = None
    approved_amount: Yuan
    opinion: Text
    funding_by_year: list[YearAmount]
    answered_by: str


class ReviewClosed(ProjectRef):
    submission: int = Field(ge=1)
    review_id: Id
    step_id: ShortId
    outcome: Outcome
    approved_amount: Yuan
    reason: str | None = None


class ArrangementItem(Part):
    project_id: Id
    amount: Yuan
    funding: Funding | None = None


class ArrangementRecorded(TenantPayload):
    notice_no: str
    year: Year
    notified_on: Day | None = None
    items: list[ArrangementItem]


class DisbursementRecorded(ProjectRef):
    disbursement_id: Id
    line_id: Id
    line_kind: LineKind | None = None
    amount: Yuan
    paid_on: Day
    voucher_no: str
    contract_id: Id | None = None
    source: Literal["api", "finance"] | None = None
    disbursed_total: Yuan | None = None


class UsageFigures(Part):
    budget_total: Yuan
    arranged_total: Yuan
    disbursed_in_period: Yuan
    disbursed_total: Yuan
    surplus_returned_total: Yuan
    by_line: list[dict[str, Any]]


class UsageReported(ProjectRef):
    report_id: Id
    period_start: Day
    period_end: Day
    article: Article = None
    narrative: str | None = None
    figures: UsageFigures


class SurplusReturned(ProjectRef):
    surplus_id: Id
    amount: Yuan
    returned_on: Day
    channel: Literal["original"]
    voucher_no: str
    article: Article = None
    balance: int | None = Field(default=None, description="退回后的结余（元）")


class LineRecorded(ProjectRef):
    id: Id
    kind: LineKind
    year: int | None = None
    service_year: int | None = None
    amount: Yuan
    funding: Funding | None = None
    finance_opinion_document_id: Id | None = None
    note: str | None = None
    version: int | None = None


class LineAdjusted(ProjectRef):
    id: Id
    from_line_id: Id
    to_line_id: Id
    amount: Yuan
    reason: Text | None = None
    article: Article = None
    adjusted_total: Yuan
    adjustment_cap: int | None = None


class ProcurementStarted(ProjectRef):
    submission: int = Field(ge=0)
    procurement_id: Id
    method: str
    started_on: Day
    reason: str | None = None


class Contracted(ProjectRef):
    submission: int = Field(ge=0)
    contract_id: Id
    supplier: str
    amount: Yuan
    signed_on: Day
    document_id: Id | None = None
    reason: str | None = None


# -- what the finance system sends (closed) ----------------------------------------


class ReviewAnswered(Answer):
    review_id: Id
    project_id: Id
    submission: int | None = Field(default=None, ge=1)
    step_id: ShortId | None = None
    outcome: Outcome
    approved_amount: Yuan
    opinion: Text
    funding_by_year: list[YearAmount] | None = Field(default=None, description="分年度资金安排")
    answered_by: Annotated[str, Field(min_length=1, max_length=200)]
    answered_on: Day | None = None


class NoticeItem(ClosedPart):
    project_id: Id
    amount: Yuan
    funding: Funding | None = None


class ArrangementNotified(Answer):
    notice_no: Annotated[str, Field(min_length=1, max_length=100)]
    year: Year
    notified_on: Day
    notified_by: Annotated[str, Field(min_length=1, max_length=200)]
    items: Annotated[list[NoticeItem], Field(min_length=1)]


class PaymentDisbursed(Answer):
    voucher_no: Annotated[str, Field(min_length=1, max_length=100)]
    project_id: Id
    line_kind: LineKind
    year: int | None = None
    amount: Annotated[int, Field(ge=1, le=10**13, description="金额（元，整数）")]
    paid_on: Day
    contract_id: Id | None = None


def _c(
    aggregate: str, event: str, payload: type[TenantPayload], title: str, summary: str
) -> Contract:
    return platform("budget", aggregate, event, payload, title, summary)


CONTRACTS: tuple[Contract, ...] = (
    _c(
        "finance_review",
        "requested",
        ReviewRequested,
        "资金审核请求",
        "审核流程进入资金审核环节：请财政出具资金审核意见和资金安排初步意见（郁南 第十一条第（三）项、"
        "第十二条第（三）项）。答复发往 reply_to.subject。",
    ),
    answer(
        "finance",
        "finance.budget.review.answered.v1",
        "review",
        "answered",
        ReviewAnswered,
        "资金审核意见",
        "财政对资金审核请求的答复：审核结论、核定金额（不超过申请金额）、意见、分年度资金安排。"
        "不合规的答复进入死信（附原因），不产生任何变化。",
    ),
    _c(
        "finance_review",
        "completed",
        ReviewCompleted,
        "资金审核完成",
        "平台已记录财政的资金审核意见；审批服务据此完成资金审核环节。",
    ),
    _c(
        "finance_review",
        "closed",
        ReviewClosed,
        "资金审核请求已关闭",
        "财政部门已在审批流程中直接办理资金审核环节：该请求无需再答复（再答复将进入死信）。",
    ),
    answer(
        "finance",
        "finance.budget.arrangement.notified.v1",
        "arrangement",
        "notified",
        ArrangementNotified,
        "预算安排情况通报",
        "财政将政务信息化项目年度预算安排情况通报政务服务数据管理部门（坡头 第十五条）。",
    ),
    _c(
        "arrangement",
        "recorded",
        ArrangementRecorded,
        "预算安排已登记",
        "平台已登记一份预算安排情况通报中的项目安排。",
    ),
    answer(
        "finance",
        "finance.budget.payment.disbursed.v1",
        "payment",
        "disbursed",
        PaymentDisbursed,
        "资金支付",
        "国库集中支付完成一笔项目资金支付；凭证号唯一，重复投递不会重复记账。",
    ),
    _c(
        "disbursement",
        "recorded",
        DisbursementRecorded,
        "资金支付已记录",
        "一笔项目资金支付已记入预算科目（来源：平台登记或财政支付通知）。",
    ),
    _c(
        "usage",
        "reported",
        UsageReported,
        "资金使用情况报告",
        "建设单位定期将项目资金使用情况报财政（坡头 第十五条）。",
    ),
    _c(
        "surplus",
        "returned",
        SurplusReturned,
        "结余资金退回",
        "项目总投资有结余，结余资金按原渠道退回（莱州 第十九条第一款）。",
    ),
    _c(
        "line",
        "recorded",
        LineRecorded,
        "预算科目已编报",
        "项目的一条预算科目（建设、监理、第三方测试、安全评估计入总投资；运维分年度）。",
    ),
    _c(
        "line",
        "adjusted",
        LineAdjusted,
        "资金调整",
        "科目之间调剂（总额不变），累计计入自行调整上限（莱州 第十九条第二款）。",
    ),
    _c(
        "project",
        "procurement_started",
        ProcurementStarted,
        "启动采购",
        "已立项或已备案的项目启动采购（登记服务将项目转为采购中）。",
    ),
    _c("project", "contracted", Contracted, "签订合同", "项目签订合同（首份合同使项目进入实施）。"),
)
