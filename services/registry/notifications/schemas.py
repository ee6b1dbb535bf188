"""What the 消息中心 answers: each message as the sentence a person reads, with its project."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

__all__ = ["MarkedRead", "NotificationItem", "NotificationPage", "UnreadCount"]


class NotificationItem(BaseModel):
    id: uuid.UUID
    kind: str = Field(description="消息类别代码（libs/vocab NOTIFICATION_KINDS）")
    kind_label: str = Field(description="消息类别（中文）")
    text: str = Field(description="消息正文：一句中文，以项目名称指称项目")
    project_id: uuid.UUID | None = None
    project_name: str | None = None
    created_at: datetime
    read: bool


class NotificationPage(BaseModel):
    items: list[NotificationItem]
    next_cursor: str | None = Field(default=None, description="下一页游标；无则已到末页")
    unread: int = Field(description="未读消息数")


class UnreadCount(BaseModel):
    unread: int = Field(description="未读消息数")


class MarkedRead(BaseModel):
    marked: int = Field(description="本次标为已读的消息数")
    unread: int = Field(description="其后的未读消息数")
