"""消息中心 routes: /v1/notifications — one's own messages, the unread count, marking read."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query

from libs.common.http import problem_responses
from libs.common.routes import once
from libs.common.service import DbSession
from services.registry.deps import Idem, NotificationReader
from services.registry.notifications import repository, service
from services.registry.notifications.schemas import (
    MarkedRead,
    NotificationItem,
    NotificationPage,
    UnreadCount,
)

router = APIRouter(prefix="/v1", tags=["notifications"])

PROBLEMS = problem_responses()


@router.get(
    "/notifications",
    response_model=NotificationPage,
    summary="我的消息（最新在前，分页）",
    responses=PROBLEMS,
)
async def list_mine(
    access: NotificationReader,
    session: DbSession,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    unread: Annotated[bool, Query(description="仅列出未读消息")] = False,
) -> Any:
    await service.record_recipient(session, access.subject)
    return await service.page(
        session, access.subject, cursor=cursor, limit=limit, unread_only=unread
    )


@router.get(
    "/notifications/unread",
    response_model=UnreadCount,
    summary="我的未读消息数",
    responses=PROBLEMS,
)
async def unread_count(access: NotificationReader, session: DbSession) -> Any:
    # Every console page asks for the count: the moment to note the caller's address.
    await service.record_recipient(session, access.subject)
    return UnreadCount(unread=await repository.unread_count(session, access.subject))


@router.post(
    "/notifications/{notification_id}/read",
    response_model=NotificationItem,
    summary="标记一条消息为已读",
    responses=PROBLEMS,
)
async def mark_read(
    notification_id: uuid.UUID, access: NotificationReader, session: DbSession, idem: Idem
) -> Any:
    return await once(idem, lambda: service.mark_read(session, access.subject, notification_id))


@router.post(
    "/notifications/read-all",
    response_model=MarkedRead,
    summary="全部标记为已读",
    responses=PROBLEMS,
)
async def mark_all_read(access: NotificationReader, session: DbSession, idem: Idem) -> Any:
    return await once(idem, lambda: service.mark_all_read(session, access.subject))
