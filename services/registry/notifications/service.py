"""The 消息中心's rules: who an event's message is for, made once; reading one's own.

Messages are made by the ``registry_notifications`` consumer (:mod:`.handlers`);
people read them through :mod:`.api`. An event makes one message per address
(the unique ``(tenant, event, audience)``), so a redelivered event, which the
inbox already skips, could not make a second one either. Reading is a person's
own receipt, not a change to anything another person or service relies on,
so it emits no event (docs/notifications.md).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import UNIT_BOUND_ROLES, AuthSubject
from libs.common.db import cacheable_insert, parameters
from libs.common.errors import NotFound
from libs.common.pagination import decode_cursor, encode_cursor
from libs.vocab import NOTIFICATION_KINDS, notification_text
from services.registry.models import (
    Notification,
    NotificationDelivery,
    NotificationRead,
    NotificationRecipient,
)
from services.registry.notifications import repository
from services.registry.notifications.schemas import (
    MarkedRead,
    NotificationItem,
    NotificationPage,
)

__all__ = [
    "Audience",
    "item_of",
    "mark_all_read",
    "mark_read",
    "notify",
    "page",
    "record_recipient",
    "role_audience",
]


@dataclass(frozen=True, slots=True)
class Audience:
    """Who a message is for: one person, or a role of the tenant (one unit's, if given)."""

    user: str | None = None
    role: str | None = None
    unit_id: uuid.UUID | None = None

    @classmethod
    def unit(cls, unit_id: uuid.UUID) -> Audience:
        """The officers of one 建设单位."""
        return cls(role="unit_officer", unit_id=unit_id)

    @property
    def key(self) -> str:
        if self.user is not None:
            return f"user:{self.user}"
        return f"role:{self.role}:{self.unit_id or '*'}"


# Built and compiled once (libs.common.db.cacheable_insert): every event that notifies runs
# them, once per audience and channel; the values go as parameters.
_INSERT_NOTIFICATION = cacheable_insert(
    insert(Notification)
    .values(
        parameters(
            "id",
            "tenant_id",
            "event_id",
            "kind",
            "audience",
            "user_id",
            "role",
            "unit_id",
            "project_id",
            "project_name",
            "facts",
            "created_at",
        )
    )
    .on_conflict_do_nothing()
    .returning(Notification.id)
)
_INSERT_DELIVERY = cacheable_insert(
    insert(NotificationDelivery)
    .values(
        parameters(
            "id",
            "tenant_id",
            "notification_id",
            "channel",
            "address",
            "state",
            "attempts",
            "created_at",
        )
    )
    .on_conflict_do_nothing()
)


async def notify(
    session: AsyncSession,
    *,
    tenant: str,
    event_id: str,
    kind: str,
    audiences: Iterable[Audience],
    project_id: uuid.UUID | None,
    project_name: str | None,
    facts: Mapping[str, Any],
    at: datetime,
    channels: Sequence[str] = (),
) -> list[uuid.UUID]:
    """Make the event's message for each audience (once), and queue it on ``channels``.

    ``at`` is when the event happened: the 消息中心 lists messages in that order.

    Returns the ids of the messages made now (none for an event seen before).
    """
    if kind not in NOTIFICATION_KINDS:
        raise ValueError(f"unknown notification kind {kind!r}: add it to libs/vocab")
    made: list[uuid.UUID] = []
    for audience in {a.key: a for a in audiences}.values():
        row_id = await session.scalar(
            _INSERT_NOTIFICATION,
            {
                "id": uuid.uuid4(),
                "tenant_id": tenant,
                "event_id": event_id,
                "kind": kind,
                "audience": audience.key,
                "user_id": audience.user,
                "role": audience.role,
                "unit_id": audience.unit_id,
                "project_id": project_id,
                "project_name": project_name,
                "facts": dict(facts),
                "created_at": at,
            },
        )
        if row_id is None:
            continue
        made.append(row_id)
        for channel in channels:
            await _queue(session, tenant, row_id, channel, audience, at)
    return made


async def _queue(
    session: AsyncSession,
    tenant: str,
    notification_id: uuid.UUID,
    channel: str,
    audience: Audience,
    now: datetime,
) -> None:
    """One delivery row per address the audience has on file (unique: queued once)."""
    people = sa.select(NotificationRecipient.email).where(
        NotificationRecipient.tenant_id == tenant,
        NotificationRecipient.email.is_not(None),
    )
    if audience.user is not None:
        people = people.where(NotificationRecipient.user_id == audience.user)
    else:
        people = people.where(NotificationRecipient.roles.contains([audience.role]))
        if audience.unit_id is not None:
            people = people.where(NotificationRecipient.unit_id == audience.unit_id)
    addresses = {a for a in (await session.scalars(people)).all() if a}
    for address in sorted(addresses):
        await session.execute(
            _INSERT_DELIVERY,
            {
                "id": uuid.uuid4(),
                "tenant_id": tenant,
                "notification_id": notification_id,
                "channel": channel,
                "address": address,
                "state": "pending",
                "attempts": 0,
                "created_at": now,
            },
        )


def item_of(row: Notification, *, read: bool) -> NotificationItem:
    return NotificationItem(
        id=row.id,
        kind=row.kind,
        kind_label=NOTIFICATION_KINDS.get(row.kind, "消息"),
        text=notification_text(row.kind, row.project_name, row.facts),
        project_id=row.project_id,
        project_name=row.project_name,
        created_at=row.created_at,
        read=read,
    )


async def page(
    session: AsyncSession,
    subject: AuthSubject,
    *,
    cursor: str | None,
    limit: int,
    unread_only: bool = False,
) -> NotificationPage:
    """One page of the subject's messages, newest first."""
    after = decode_cursor(cursor) if cursor else None
    rows = await repository.page_mine(
        session, subject, after=after, limit=limit + 1, unread_only=unread_only
    )
    more = len(rows) > limit
    rows = rows[:limit]
    read = await repository.read_ids(session, subject, [r.id for r in rows])
    return NotificationPage(
        items=[item_of(r, read=r.id in read) for r in rows],
        next_cursor=encode_cursor(rows[-1].created_at, rows[-1].id) if more and rows else None,
        unread=await repository.unread_count(session, subject),
    )


async def _receipts(session: AsyncSession, subject: AuthSubject, ids: Sequence[uuid.UUID]) -> int:
    if not ids:
        return 0
    now = datetime.now(UTC)
    done = await session.scalars(
        insert(NotificationRead)
        .values(
            [
                {
                    "notification_id": i,
                    "user_id": subject.user,
                    "tenant_id": subject.tenant,
                    "read_at": now,
                }
                for i in ids
            ]
        )
        .on_conflict_do_nothing()
        .returning(NotificationRead.notification_id)
    )
    return len(done.all())


async def mark_read(
    session: AsyncSession, subject: AuthSubject, notification_id: uuid.UUID
) -> NotificationItem:
    """The subject has read one of its messages (again: no change). Another's is 404."""
    row = await repository.get_mine(session, subject, notification_id)
    if row is None:
        raise NotFound("消息", notification_id)
    await _receipts(session, subject, [row.id])
    return item_of(row, read=True)


async def mark_all_read(session: AsyncSession, subject: AuthSubject) -> MarkedRead:
    marked = await _receipts(session, subject, await repository.unread_ids(session, subject))
    return MarkedRead(marked=marked, unread=await repository.unread_count(session, subject))


async def record_recipient(session: AsyncSession, subject: AuthSubject) -> None:
    """Keep the caller's roles, unit and ``email`` claim as the token states them now.

    Outbound channels address people through this record; it changes only
    when the token does, so the page-by-page call writes nothing most times.
    """
    values = {
        "name": subject.name,
        "roles": sorted(subject.roles),
        "unit_id": _unit(subject.unit_id),
        "email": subject.email,
    }
    stmt = insert(NotificationRecipient).values(
        user_id=subject.user, tenant_id=subject.tenant, seen_at=datetime.now(UTC), **values
    )
    changed = sa.or_(
        *(
            getattr(NotificationRecipient, k).is_distinct_from(getattr(stmt.excluded, k))
            for k in values
        )
    )
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["user_id", "tenant_id"],
            set_={
                **{k: getattr(stmt.excluded, k) for k in values},
                "seen_at": stmt.excluded.seen_at,
            },
            where=changed,
        )
    )


def _unit(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


def role_audience(role: str | None, unit_id: uuid.UUID | None) -> Audience | None:
    """A step's role as an audience: a unit-bound role is its project's unit's officers."""
    if not role or role == "expert":  # experts are named by the step (experts_assigned)
        return None
    if role in UNIT_BOUND_ROLES:
        return Audience(role=role, unit_id=unit_id) if unit_id else None
    return Audience(role=role)
