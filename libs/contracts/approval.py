"""Events the approval service publishes: decisions, the review workflow, changes, reports."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from libs.contracts._base import (
    Contract,
    Day,
    Id,
    Part,
    ProjectRef,
    TenantCode,
    TenantPayload,
    Yuan,
    platform,
)
from libs.gongwen import OfficialDocument

__all__ = ["CONTRACTS"]


class Decided(ProjectRef):
    submission: int = Field(ge=1)
    decision_id: Id
    route: str = Field(description="审批路径代码（vocabulary：approval、filing、self_managed …）")
    article: str | None = None
    explanation: str | None = None
    provisional: bool
    policy: dict[str, Any] = Field(description="所用政策包：id 与 sha256")
    decision: dict[str, Any] = Field(description="完整判定（要求、期限、金额）")
    facts: dict[str, Any] = Field(description="判定所依据的申报事实")


class DecisionFailed(ProjectRef):
    problem: dict[str, Any] = Field(description="problem+json：判定为何未能完成")
    source_event_id: str


class WorkflowEvent(ProjectRef):
    """What every workflow event carries (``workflow/service.py`` ``_emit``).

    The workflow's context is always sent but no consumer needs it to act,
    so it is optional here (a tolerant reader); the project and submission
    are what consumers key on.
    """

    submission: int = Field(ge=1)
    workflow_id: Id | None = None
    decision_id: Id | None = None
    purpose: Literal["project", "change"] | None = None
    change_id: Id | None = None
    route: str | None = None


class StepView(Part):
    step_id: Id
    seq: int
    code: str
    role: str
    article: str
    explanation: str
    state: str


class WorkflowOpened(WorkflowEvent):
    project_name: str
    amount: Yuan
    steps: list[StepView]


class WorkflowClosed(WorkflowEvent):
    reason: str | None = None
    article: str | None = None


class StepOpened(WorkflowEvent):
    step_id: Id
    seq: int | None = None
    code: str = Field(description="环节代码，如 finance_review")
    role: str | None = None
    article: str | None = None
    explanation: str | None = None
    project_name: str | None = None
    unit_id: str | None = None
    amount: Yuan | None = Field(default=None, description="申请金额")
    approved_amount: Yuan | None = Field(default=None, description="此前环节核定的金额")


class Expert(Part):
    user: str
    name: str | None = None


class ExpertsAssigned(WorkflowEvent):
    step_id: Id
    code: str
    experts: list[Expert]


class ExpertOpinionRecorded(WorkflowEvent):
    step_id: Id
    code: str
    opinion_id: Id
    expert: str
    conclusion: str
    opinion: str
    attachments: list[str] = Field(default_factory=list, description="电子档案文件 id")


class StepCompleted(WorkflowEvent):
    step_id: Id
    seq: int | None = None
    code: str
    role: str | None = None
    article: str | None = None
    outcome: Literal["approve", "return", "reject"]
    opinion: str | None = None
    opinion_id: Id | None = None
    attachments: list[str] = Field(default_factory=list)
    approved_amount: Yuan | None = None


class Approved(WorkflowEvent):
    approval: dict[str, Any] = Field(description="立项批复或备案文件（文号、金额、有效期、职责）")
    # Optional: events published before issue 18 carry no 公文 (the archive files none for them).
    official: OfficialDocument | None = Field(
        default=None,
        description="立项批复或备案确认的公文内容（GB/T 9704-2012），档案服务据此生成 PDF 归档",
    )
    reason: str | None = None


class Closed(WorkflowEvent):
    step_id: Id | None = None
    code: str | None = None
    article: str | None = None
    reason: str


class Terminated(ProjectRef):
    change_id: Id
    article: str | None = None
    reason: str


class ChangeFiled(ProjectRef):
    id: Id
    kind: str
    kind_label: str
    reason: str
    adjustment_amount: int
    new_total: Yuan
    goals_unchanged: bool
    base_amount: Yuan
    cumulative_amount: int
    state: str
    article: str | None = None
    explanation: str
    review_workflow_id: Id | None = None
    created_at: datetime
    closed_at: datetime | None = None


class ChangeClosed(WorkflowEvent):
    change_id: Id
    kind: str | None = None
    adjustment_amount: int | None = None
    new_total: Yuan | None = None
    approved_amount: Yuan | None = Field(default=None, description="再次核定的总额（仅 approved）")
    reason: str | None = None


class ReportSubmitted(ProjectRef):
    report_id: Id
    parent_tenant: TenantCode
    workflow_id: Id
    number: str
    kind: str
    approved_amount: Yuan
    article: str | None = None
    explanation: str | None = None


class ReportReceived(ProjectRef):
    report_id: Id
    from_tenant: TenantCode
    number: str
    note: str | None = None


class ApprovalExpired(ProjectRef):
    workflow_id: Id
    number: str
    approved_on: Day
    valid_until: Day | None = None
    article: str | None = None
    reason: str


class ExceptionGranted(ProjectRef):
    """An exception to a softened rule (原则上、一般) for one project (issue 17)."""

    exception_id: Id
    project_name: str
    policy_id: str
    rule: str = Field(description="例外的规则（判定轨迹中的规则标识）")
    article: str
    authority: str = Field(description="决定例外的机关")
    reason: str = Field(description="书面理由")
    granted_on: Day


class ParameterSet(TenantPayload):
    """A value an authority set for a parameter the text leaves open (坡头 政府采购限额)."""

    policy_id: str
    name: str
    label: str
    article: str
    value: int | str | bool
    document: str = Field(description="设定该参数的文件文号")
    document_date: Day
    effective_from: Day


def _c(
    aggregate: str, event: str, payload: type[TenantPayload], title: str, summary: str
) -> Contract:
    return platform("approval", aggregate, event, payload, title, summary)


CONTRACTS: tuple[Contract, ...] = (
    _c(
        "project",
        "decided",
        Decided,
        "政策判定",
        "依政策包判定审批路径，附条款依据和所依据的事实。",
    ),
    _c(
        "project", "decision_failed", DecisionFailed, "政策判定未能完成", "判定失败，项目退回草稿。"
    ),
    _c("workflow", "opened", WorkflowOpened, "审核流程已开启", "按判定开启审核流程及其环节。"),
    _c(
        "workflow", "closed", WorkflowClosed, "审核流程已关闭", "无需审核（如自行管理）或流程结束。"
    ),
    _c(
        "step",
        "opened",
        StepOpened,
        "审核环节已开启",
        "一个审核环节开始（finance_review 由财政办理）。",
    ),
    _c("step", "experts_assigned", ExpertsAssigned, "已指派评审专家", "环节指派评审专家。"),
    _c(
        "step",
        "expert_opinion_recorded",
        ExpertOpinionRecorded,
        "专家意见已记录",
        "评审专家出具意见。",
    ),
    _c("step", "completed", StepCompleted, "审核环节已完成", "环节办结：同意、退回或不予通过。"),
    _c("project", "approved", Approved, "项目已批复", "立项审批通过，附批复文件。"),
    _c("project", "filed", Approved, "项目已备案", "备案完成，附备案文件。"),
    _c("project", "returned", Closed, "项目已退回", "审核环节退回项目，附原因。"),
    _c("project", "rejected", Closed, "项目不予通过", "审核环节不予通过，附原因。"),
    _c("project", "terminated", Terminated, "项目已终止", "终止备案。"),
    _c("change", "filed", ChangeFiled, "变更已备案", "项目变更（无需审批的）已备案。"),
    _c(
        "change",
        "submitted_for_approval",
        ChangeFiled,
        "变更已报审",
        "项目变更须经审批，审核流程开启。",
    ),
    _c("change", "approved", ChangeClosed, "变更已批准", "变更审批通过，附再次核定的总额。"),
    _c("change", "returned", ChangeClosed, "变更已退回", "变更审批退回。"),
    _c("change", "rejected", ChangeClosed, "变更不予批准", "变更审批不予通过。"),
    _c("report", "submitted", ReportSubmitted, "批复已报上级", "批复或备案文件报上级备案。"),
    _c(
        "report", "received", ReportReceived, "上级已收到报备", "上级政务服务数据管理部门收到报备。"
    ),
    _c(
        "approval",
        "expired",
        ApprovalExpired,
        "立项批复已过期",
        "立项审批意见超过有效期且项目尚未开始采购。",
    ),
    _c(
        "exception",
        "granted",
        ExceptionGranted,
        "主管机关已决定例外",
        "对“原则上”“一般”条款，主管机关就某一项目决定例外，附书面理由和条款。",
    ),
    _c(
        "parameter",
        "set",
        ParameterSet,
        "主管机关已设定参数",
        "原文未给出数值的参数（如政府采购限额）由主管机关设定，附文件文号和日期。",
    ),
)
