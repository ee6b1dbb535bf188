"""The delivery round: queued outbound messages go out once, failed ones are retried.

Per tenant (its own transaction and RLS context): claim due ``pending`` rows
under ``FOR UPDATE SKIP LOCKED`` and mark them ``sending`` (committed), send
them, then record ``sent`` or, on failure, ``pending`` again until
``MAX_ATTEMPTS`` (then ``failed``). Two workers never claim one row, and a
round that runs twice finds the row already sent.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.db import TenantContext, transaction
from libs.common.periodic import for_each_tenant
from libs.vocab import NOTIFICATION_KINDS, notification_text
from services.registry.models import Notification, NotificationDelivery, tenants
from services.registry.notifications.channels import Channel, Outbound

__all__ = ["MAX_ATTEMPTS", "deliver"]

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
_BATCH = 100


def _outbound(delivery: NotificationDelivery, row: Notification) -> Outbound:
    text = notification_text(row.kind, row.project_name, row.facts)
    link = ""
    portal = os.environ.get("GOVPROJ_PORTAL_URL", "").rstrip("/")
    if portal and row.project_id is not None:
        link = f"\n\n查看项目：{portal}/projects/{row.project_id}"
    title = NOTIFICATION_KINDS.get(row.kind, "消息")
    subject = f"【政务信息化项目】{title}" + (f"：{row.project_name}" if row.project_name else "")
    return Outbound(
        delivery_id=str(delivery.id),
        subject=subject,
        body=f"{text}{link}\n\n（本邮件由政务信息化项目管理平台发出，请登录平台消息中心查看详情。）",
    )


async def _claim(
    session: AsyncSession, channels: Iterable[str]
) -> list[tuple[uuid.UUID, str, str, Outbound]]:
    rows = (
        await session.execute(
            sa.select(NotificationDelivery, Notification)
            .join(Notification, Notification.id == NotificationDelivery.notification_id)
            .where(
                NotificationDelivery.state == "pending",
                NotificationDelivery.channel.in_(list(channels)),
            )
            .order_by(NotificationDelivery.created_at)
            .limit(_BATCH)
            .with_for_update(of=NotificationDelivery, skip_locked=True)
        )
    ).all()
    claimed = []
    for delivery, row in rows:
        delivery.state, delivery.attempts = "sending", delivery.attempts + 1
        claimed.append((delivery.id, delivery.channel, delivery.address, _outbound(delivery, row)))
    return claimed


async def deliver(
    maker: async_sessionmaker[AsyncSession],
    channels: Mapping[str, Channel],
    codes: Iterable[str] | None = None,
) -> int:
    """One round over ``codes`` (default every tenant); returns how many went out."""
    if not channels:
        return 0

    async def claim(session: AsyncSession, code: str) -> list[tuple[uuid.UUID, str, str, Outbound]]:
        return await _claim(session, channels)

    sent = 0
    for code, claimed in (await for_each_tenant(maker, tenants, claim, codes)).items():
        results: dict[uuid.UUID, str | None] = {}
        for delivery_id, channel, address, message in claimed:
            try:
                await channels[channel].send(address, message)
                results[delivery_id] = None
            except Exception as exc:  # a refused or unreachable relay: try again next round
                log.warning("delivery %s over %s failed: %r", delivery_id, channel, exc)
                results[delivery_id] = f"{type(exc).__name__}: {exc}"[:2000]
        if results:
            async with transaction(maker, TenantContext.own(code)) as session:
                sent += await _record(session, results)
    return sent


async def _record(session: AsyncSession, results: Mapping[uuid.UUID, str | None]) -> int:
    now = datetime.now(UTC)
    sent = 0
    for delivery_id, error in results.items():
        delivery = await session.get(NotificationDelivery, delivery_id)
        if delivery is None:
            continue
        if error is None:
            delivery.state, delivery.sent_at, delivery.last_error = "sent", now, None
            sent += 1
        else:
            delivery.last_error = error
            delivery.state = "failed" if delivery.attempts >= MAX_ATTEMPTS else "pending"
    return sent
