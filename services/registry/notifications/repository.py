"""Queries of the 消息中心: a person's messages are those addressed to them, in their tenant."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import AuthSubject
from services.registry.models import Notification, NotificationRead

__all__ = ["addressed_to", "get_mine", "page_mine", "read_ids", "unread_count", "unread_ids"]


def addressed_to(subject: AuthSubject) -> sa.ColumnElement[bool]:
    """Messages for ``subject``: to them by name, or to a role they hold in their own tenant.

    A role's message for one unit reaches only that unit's officers (the
    ``unit`` claim); an overseer does not read its counties' messages, which
    belong to the people there.
    """
    by_role = sa.and_(
        Notification.role.in_(sorted(subject.roles)),
        sa.or_(
            Notification.unit_id.is_(None),
            Notification.unit_id == _as_uuid(subject.unit_id),
        ),
    )
    return sa.and_(
        Notification.tenant_id == subject.tenant,
        sa.or_(Notification.user_id == subject.user, by_role),
    )


def _as_uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


def _unread(subject: AuthSubject) -> sa.ColumnElement[bool]:
    return ~sa.exists().where(
        NotificationRead.notification_id == Notification.id,
        NotificationRead.user_id == subject.user,
    )


async def page_mine(
    session: AsyncSession,
    subject: AuthSubject,
    *,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
    unread_only: bool,
) -> Sequence[Notification]:
    """One page of the subject's messages, newest first, below the cursor's (time, id)."""
    query = sa.select(Notification).where(addressed_to(subject))
    if unread_only:
        query = query.where(_unread(subject))
    if after is not None:
        query = query.where(sa.tuple_(Notification.created_at, Notification.id) < after)
    query = query.order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)
    return (await session.scalars(query)).all()


async def get_mine(
    session: AsyncSession, subject: AuthSubject, notification_id: uuid.UUID
) -> Notification | None:
    row: Notification | None = await session.scalar(
        sa.select(Notification).where(addressed_to(subject), Notification.id == notification_id)
    )
    return row


async def read_ids(
    session: AsyncSession, subject: AuthSubject, ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    """Which of ``ids`` the subject has read."""
    if not ids:
        return set()
    rows = await session.scalars(
        sa.select(NotificationRead.notification_id).where(
            NotificationRead.user_id == subject.user,
            NotificationRead.notification_id.in_(list(ids)),
        )
    )
    return set(rows.all())


async def unread_count(session: AsyncSession, subject: AuthSubject) -> int:
    query = (
        sa.select(sa.func.count())
        .select_from(Notification)
        .where(addressed_to(subject), _unread(subject))
    )
    return int(await session.scalar(query) or 0)


async def unread_ids(session: AsyncSession, subject: AuthSubject) -> list[uuid.UUID]:
    query = sa.select(Notification.id).where(addressed_to(subject), _unread(subject))
    return list((await session.scalars(query)).all())
