"""The trail as the API serves it: each event already said in Chinese (libs/vocab)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class TrailAmount(BaseModel):
    label: str = Field(description="金额名称，如 核定金额")
    amount: int = Field(description="金额（元，整数）")


class TrailEntry(BaseModel):
    event_id: str
    type: str = Field(description="事件类型（供集成方使用；页面显示 sentence）")
    at: datetime
    actor: dict[str, Any] = Field(description="操作人：type、id、name、tenant、roles")
    sentence: str = Field(description="一句中文说明这一事件")
    amounts: list[TrailAmount]
    article: str | None = Field(description="事件所依据的条款（如 第十一条第（二）项）")


class TrailPage(BaseModel):
    project_id: uuid.UUID
    policy_id: str | None = Field(description="项目判定所依据的政策包（条款链接用）")
    items: list[TrailEntry]
    next_cursor: str | None = Field(description="下一页的游标；为空表示没有更多")
