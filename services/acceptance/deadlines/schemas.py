"""Deadlines, extensions and the sweep as the API reads and writes them."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import Field

from services.acceptance.schemas import Read, Text, Write

__all__ = [
    "DeadlineRead",
    "ExtensionCreate",
    "ExtensionDecisionCreate",
    "ExtensionRead",
    "SweepRead",
]


class DeadlineRead(Read):
    id: uuid.UUID
    tenant_id: str
    project_id: uuid.UUID
    submission: int
    code: str = Field(description="期限代码（acceptance_due、self_evaluation_due …）")
    anchor: str = Field(description="起算状态（implementing/completed/accepted/in_operation）")
    anchor_on: date
    period: str | None = Field(description="期间（ISO 8601，如 P6M）")
    month_day: str | None = Field(description="每年截止日（--MM-DD）")
    working_days: bool
    due_on: date = Field(description="最后一日（延期后为新的最后一日）")
    original_due_on: date
    calendar_known: bool = Field(description="该年节假日安排是否已公布")
    article: str = Field(description="依据条款")
    explanation: str | None
    status: Literal["open", "overdue", "met"]
    met_on: date | None
    reminded_at: datetime | None
    overdue_at: datetime | None
    project_name: str | None = Field(default=None, description="项目名称（列表中给出）")


class ExtensionCreate(Write):
    until: date = Field(description="申请延期至")
    reason: Text = Field(description="不能按期验收的原因")


class ExtensionDecisionCreate(Write):
    outcome: Literal["grant", "refuse"] = Field(description="grant 同意 / refuse 不同意")
    opinion: Text = Field(description="审批意见")


class ExtensionRead(Read):
    id: uuid.UUID
    deadline_id: uuid.UUID
    project_id: uuid.UUID
    requested_until: date
    reason: str
    status: Literal["requested", "granted", "refused"]
    requested_by: dict[str, Any]
    decided_by: dict[str, Any] | None
    opinion: str | None
    project_name: str | None = Field(default=None, description="项目名称（列表中给出）")


class SweepRead(Read):
    tenants: list[str] = Field(description="检查的辖区")
    sent: dict[str, dict[str, int]] = Field(description="各辖区发出的提醒与逾期通知数")
