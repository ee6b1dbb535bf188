"""Events the acceptance service publishes: completion, review, acceptance, deadlines, evaluations."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from libs.contracts._base import Contract, Day, Id, ProjectRef, TenantCode, TenantPayload, platform
from libs.gongwen import OfficialDocument

__all__ = ["CONTRACTS"]


class ProjectEvent(ProjectRef):
    """What every acceptance project event carries (``guards.project_data``)."""

    submission: int = Field(ge=0)
    route: str | None = None


class Completed(ProjectEvent):
    completed_on: Day
    reason: str


class ReviewRequested(ProjectEvent):
    review_id: Id
    mode: Literal["conformity_review", "self_check"]
    reviewer_role: str
    article: str | None = None
    explanation: str | None = None
    items: list[dict[str, Any]] = Field(description="验收条件核查清单")
    note: str | None = None
    reason: str


class AcceptanceFacts(ProjectEvent):
    """The facts of one acceptance held (present when an acceptance caused the event)."""

    acceptance_id: Id | None = None
    held_on: Day | None = None
    report_document_id: Id | None = None
    article: str | None = None
    outcome: Literal["passed", "failed"] | None = None
    report_to: str | None = None


class ReviewReturned(AcceptanceFacts):
    """Sent back to ``completed``: by the pre-acceptance review or by a failed acceptance."""

    review_id: Id | None = None
    reason: str


class Accepted(AcceptanceFacts):
    acceptance_id: Id
    accepted_on: Day
    report_document_id: Id
    outcome: Literal["passed", "failed"] | None = "passed"
    reason: str


class InOperation(ProjectEvent):
    in_operation_on: Day
    reason: str | None = None


class EvaluationSubmitted(ProjectEvent):
    evaluation_id: Id
    kind: Literal["self_evaluation", "performance_evaluation", "post_evaluation", "standard"]
    article: str | None
    report_document_id: Id
    submitted_on: Day
    rating: str | None = None
    draw_id: Id | None = None
    # Optional: events before issue 18 carry no cover (the archive files none for them).
    official: OfficialDocument | None = Field(
        default=None, description="评价报告封面（GB/T 9704-2012 版式），档案服务据此生成 PDF 归档"
    )


class Evaluated(EvaluationSubmitted):
    reason: str


class ItemUpdated(ProjectEvent):
    review_id: Id
    item: dict[str, Any]


class ReviewPassed(ProjectEvent):
    review_id: Id
    mode: Literal["conformity_review", "self_check"] | None = None
    article: str | None = None
    opinion: str | None = None
    items: list[dict[str, Any]]


class AcceptanceRecorded(AcceptanceFacts):
    acceptance_id: Id
    outcome: Literal["passed", "failed"]
    held_on: Day
    report_document_id: Id
    expert_opinions: list[dict[str, Any]] = Field(min_length=1)
    conclusion: str | None = None
    # Optional: events before issue 18 carry no record (the archive files none for them).
    official: OfficialDocument | None = Field(
        default=None, description="验收结论（GB/T 9704-2012 版式），档案服务据此生成 PDF 归档"
    )


class Deadline(ProjectRef):
    """A statutory deadline of a project (``records.deadline_data``)."""

    submission: int = Field(ge=0)
    project_name: str | None = None
    deadline_id: Id
    code: str
    due_on: Day
    calendar_known: bool = Field(description="是否已知节假日安排（工作日计算）")
    article: str = Field(min_length=1)
    policy: str | None = None
    explanation: str | None = None


class DeadlineScheduled(Deadline):
    anchor: str
    anchor_on: Day
    cycle_after: Id | None = Field(default=None, description="周期性期限：上一期的 id")


class DeadlineReminder(Deadline):
    as_of: Day
    days_left: int = Field(ge=0)


class DeadlineOverdue(Deadline):
    as_of: Day
    days_overdue: int = Field(ge=1)
    overseen_by: list[TenantCode] = Field(description="有监督权的上级辖区")


class DeadlineMet(Deadline):
    met_on: Day
    late: bool


class ExtensionRequested(Deadline):
    extension_id: Id
    requested_until: Day
    reason: str


class ExtensionDecided(Deadline):
    extension_id: Id
    opinion: str
    requested_until: Day | None = None
    previous_due_on: Day | None = Field(default=None, description="延期前的期限（仅 granted）")


class DrawCommitted(TenantPayload):
    """A 双随机 draw committed: the SHA-256 of a server seed, published before the pool is fixed."""

    draw_id: Id
    year: int
    commitment: str = Field(pattern=r"^[0-9a-f]{64}$", description="种子的 SHA-256")
    count: int = Field(ge=1)
    evaluator_pool: list[str]
    evaluator_count: int = Field(ge=0)
    method: str
    committed_by: dict[str, Any] | None = None
    committed_at: datetime | None = None


class Drawn(TenantPayload):
    draw_id: Id
    year: int | None = None
    seed: str = Field(min_length=8)
    commitment: str | None = Field(default=None, description="承诺时公布的种子 SHA-256")
    method: str | None = None
    project_pool: list[Id]
    projects: list[Id]
    evaluator_pool: list[str]
    evaluators: list[str]
    article: str | None = None
    drawn_by: dict[str, Any] | None = None
    drawn_at: datetime | None = None


def _c(
    aggregate: str, event: str, payload: type[TenantPayload], title: str, summary: str
) -> Contract:
    return platform("acceptance", aggregate, event, payload, title, summary)


CONTRACTS: tuple[Contract, ...] = (
    _c("project", "completed", Completed, "项目已建成", "建设单位申报项目建成（实施 → 建成）。"),
    _c(
        "project",
        "review_requested",
        ReviewRequested,
        "验收前置审核已开启",
        "验收前置审核（合规性审查或自查）开启，附核查清单。",
    ),
    _c("project", "review_returned", ReviewReturned, "验收已退回", "前置审核退回或验收不通过。"),
    _c("project", "accepted", Accepted, "项目已通过验收", "验收通过（验收审核 → 已验收）。"),
    _c("project", "in_operation", InOperation, "系统已投入使用", "系统投入使用（已验收 → 运行）。"),
    _c("project", "evaluated", Evaluated, "已提交应用效果自评价", "运行 → 已评价。"),
    _c("review", "item_updated", ItemUpdated, "核查项已更新", "为一条验收条件提交或更正材料。"),
    _c("review", "passed", ReviewPassed, "验收前置审核已通过", "前置审核通过，可组织验收。"),
    _c(
        "acceptance",
        "recorded",
        AcceptanceRecorded,
        "验收已记录",
        "一次验收：专家意见、报告、结论。",
    ),
    _c("deadline", "scheduled", DeadlineScheduled, "期限已设定", "依办法设定一项法定期限。"),
    _c("deadline", "reminder", DeadlineReminder, "期限提醒", "期限临近提醒。"),
    _c("deadline", "overdue", DeadlineOverdue, "期限已逾期", "期限逾期，通知有监督权的上级。"),
    _c("deadline", "met", DeadlineMet, "期限已满足", "期限内（或逾期后）完成。"),
    _c(
        "deadline",
        "extension_requested",
        ExtensionRequested,
        "延期已申请",
        "建设单位申请延期。",
    ),
    _c("deadline", "extension_granted", ExtensionDecided, "延期已批准", "项目审批部门批准延期。"),
    _c("deadline", "extension_refused", ExtensionDecided, "延期未批准", "项目审批部门不予延期。"),
    _c(
        "evaluation",
        "submitted",
        EvaluationSubmitted,
        "评价报告已提交",
        "自评价、绩效评价、绩效后评估或标准化报告。",
    ),
    _c(
        "draw",
        "committed",
        DrawCommitted,
        "双随机抽取已承诺",
        "系统生成种子并公布其 SHA-256，其后才固定项目库。",
    ),
    _c("draw", "drawn", Drawn, "双随机抽取", "一次“双随机”抽取，附种子与备选池。"),
)
