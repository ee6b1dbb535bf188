"""What the workflow routes take and answer (every route declares its response_model)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from libs.common.types import PlainText
from services.approval.documents.schemas import ApprovalDocumentRead
from services.approval.reports.schemas import ReportRead

Text = Annotated[PlainText, Field(min_length=1, max_length=4000)]
Attachments = Annotated[
    list[uuid.UUID],
    Field(default_factory=list, max_length=50, description="附件：电子档案中的文件 id"),
]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OpinionCreate(_In):
    """The deciding opinion on a step."""

    outcome: Literal["approve", "return", "reject"] = Field(
        description="approve 同意 · return 退回修改 · reject 不同意"
    )
    opinion: Text = Field(description="意见（中文）")
    attachments: Attachments
    approved_amount: int | None = Field(
        default=None, ge=0, le=10**13, description="核定金额（元，仅资金审核、立项批复环节）"
    )


class ExpertCreate(_In):
    user: Annotated[PlainText, Field(max_length=100)] = Field(description="专家的用户名")
    name: Annotated[PlainText, Field(max_length=100)] = Field(description="专家姓名")


class ExpertsUpdate(_In):
    """The experts of an expert review (专家论证), named by the bureau."""

    experts: list[ExpertCreate] = Field(min_length=1, max_length=30)


class ExpertOpinionCreate(_In):
    """An expert's own opinion."""

    conclusion: Literal["agree", "agree_with_changes", "disagree"] = Field(
        description="agree 同意 · agree_with_changes 修改后同意 · disagree 不同意"
    )
    opinion: Text
    attachments: Attachments


class ExpertRead(BaseModel):
    """A named expert and, once given (and visible to the caller), their opinion's id and conclusion."""

    user: str
    name: str
    opinion: str | None = Field(default=None, description="意见 id（未出具为空）")
    conclusion: str | None = None


class OpinionRead(BaseModel):
    id: uuid.UUID
    kind: Literal["decision", "expert"]
    outcome: str
    opinion: str
    attachments: list[uuid.UUID]
    approved_amount: int | None
    actor: dict[str, Any] = Field(description="出具意见的人（id、姓名、角色）")
    created_at: datetime


class StepFields(BaseModel):
    """What every view of a step shows: who acts, under which article, in which state."""

    step_id: uuid.UUID
    seq: int
    code: str
    role: str
    article: str
    explanation: str
    state: str = Field(description="pending → open → approved | returned | rejected；cancelled")
    unit_id: str | None = Field(description="项目的建设单位（单位环节由该单位办理）")
    experts: list[ExpertRead]


class StepRead(StepFields):
    opened_at: datetime | None
    completed_at: datetime | None
    opinions: list[OpinionRead]


class WorkflowRead(BaseModel):
    id: uuid.UUID
    tenant: str
    project_id: uuid.UUID
    project_name: str
    submission: int
    decision_id: uuid.UUID
    purpose: Literal["project", "change"]
    change_id: uuid.UUID | None
    route: str
    route_article: str
    amount: int
    approved_amount: int | None
    state: str
    reason: str | None
    opened_at: datetime
    closed_at: datetime | None
    steps: list[StepRead]
    approval: ApprovalDocumentRead | None


class StepTask(StepFields):
    """An open step for the caller's role, or an expert review naming the caller."""

    kind: Literal["step", "expert_review"]
    tenant: str
    workflow_id: uuid.UUID
    purpose: str
    project_id: uuid.UUID
    project_name: str
    route: str
    amount: int
    approved_amount: int | None
    opened_at: datetime | None


class TaskList(BaseModel):
    items: list[StepTask | ReportRead]
    count: int
    next_cursor: str | None = Field(default=None, description="下一页的游标；为空表示没有更多")
