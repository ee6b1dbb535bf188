"""The 消息中心 fed from real NATS into PostgreSQL, and its e-mail to an aiosmtpd server.

Like test_consumer.py, the runner commits: this module has its own database.
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import nats
import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.auth import AuthSubject
from libs.common.db import TenantContext, create_engine, create_sessionmaker, transaction
from libs.common.deadlines import today_in_china
from libs.common.events import (
    ConsumerRunner,
    Event,
    Reject,
    durable_name,
    ensure_streams,
    make_event,
    system_actor,
    to_nats,
)
from libs.common.events._contracts import handler_problems
from libs.common.service import tenant_context_of
from libs.common.testing.consumers import run_until
from libs.common.testing.database import migrated_database
from libs.common.testing.pytest_plugin import DatabaseUrls
from services.registry.models import Project, tenants
from services.registry.notifications import repository
from services.registry.notifications import service as inbox
from services.registry.notifications.channels import configured
from services.registry.notifications.delivery import deliver
from services.registry.notifications.handlers import CONSUMER, on_report_received
from services.registry.tests.support import CHAOAN, YUNAN, make_project, make_unit, seed_tree

notify_db = migrated_database("registry")
YUNFU = "445300"  # the city over 郁南


@pytest.fixture
async def sessions(notify_db: DatabaseUrls) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(notify_db.app, pool_size=4)
    yield create_sessionmaker(engine)
    await engine.dispose()


class _Mailbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture
def mailbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[_Mailbox]:
    """An aiosmtpd server, and the e-mail channel pointed at it."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    box = _Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("GOVPROJ_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("GOVPROJ_SMTP_PORT", str(port))
    monkeypatch.setenv("GOVPROJ_SMTP_FROM", "noreply@govproj.test")
    try:
        yield box
    finally:
        controller.stop()


async def _seed(sessions: async_sessionmaker[AsyncSession]) -> Project:
    """The demo tree (once per database) and a Yunan unit's draft project."""
    async with transaction(sessions, None) as session:
        if not await session.scalar(sa.select(sa.func.count()).select_from(tenants)):
            await seed_tree(session)
    async with transaction(sessions, TenantContext.own(YUNAN)) as session:
        unit = await make_unit(session)
        return await make_project(session, unit)


def _officer(project: Project, *, tenant: str = YUNAN, email: str | None = None) -> AuthSubject:
    return AuthSubject(
        user=f"officer-{uuid.uuid4().hex[:6]}",
        name="单位经办人",
        tenant=tenant,
        roles=frozenset({"unit_officer"}),
        unit_id=str(project.unit_id),
        email=email,
    )


async def _run(
    sessions: async_sessionmaker[AsyncSession], nats_url: str, event: Event, durable: str
) -> ConsumerRunner:
    """Run the notifications consumer (as ``durable``) until it has seen ``event``."""
    runner = ConsumerRunner(
        sessions,
        nats_url,
        schema="registry",
        durable=durable,
        stream="GOVPROJ",
        filter_subjects=[event.subject],
        handlers=CONSUMER.handlers,
    )
    await run_until(runner, lambda: runner.stats.applied + runner.stats.duplicates >= 1)
    return runner


async def _delivered_twice(
    sessions: async_sessionmaker[AsyncSession], nats_url: str, event: Event
) -> tuple[ConsumerRunner, ConsumerRunner]:
    """Publish ``event`` and have the consumer receive it twice.

    The second time the durable consumer is gone (as after a lost ack or a
    rebuilt NATS) and starts again from the stream's beginning: a redelivery.
    """
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await ensure_streams(js)
    subject, headers, payload = to_nats(event)
    await js.publish(subject, payload, headers=headers)
    durable = f"registry-notify-test-{uuid.uuid4().hex[:8]}"
    first = await _run(sessions, nats_url, event, durable)
    # The JetStream durable is named after the consumer and its filter set (ADR 0004).
    await js.delete_consumer("GOVPROJ", durable_name(durable, [event.subject]))
    await nc.close()
    return first, await _run(sessions, nats_url, event, durable)


def _returned(project: Project) -> Event:
    return make_event(
        tenant=YUNAN,
        service="approval",
        aggregate="project",
        event="returned",
        data={
            "tenant": YUNAN,
            "project_id": str(project.id),
            "submission": 1,
            "route": "filing",
            "reason": "绩效目标不明确，请补充量化指标",
        },
        actor=system_actor("approval", YUNAN),
    )


async def test_a_return_reaches_the_units_message_centre_once_and_no_other_county(
    sessions: async_sessionmaker[AsyncSession], nats_url: str
) -> None:
    project = await _seed(sessions)
    event = _returned(project)
    first, again = await _delivered_twice(sessions, nats_url, event)
    assert (first.stats.applied, again.stats.duplicates, again.stats.applied) == (1, 1, 0)

    officer = _officer(project)
    async with transaction(sessions, tenant_context_of(officer)) as session:
        assert await repository.unread_count(session, officer) == 1
        page = await inbox.page(session, officer, cursor=None, limit=20)
    [item] = page.items
    assert item.text == (
        f"项目「{project.name}」的备案已退回修改。原因：绩效目标不明确，请补充量化指标"
    )
    assert (item.kind_label, item.project_id, item.read) == ("退回修改", project.id, False)

    # Another unit of the county, and the same role in another county, see nothing.
    other_unit = AuthSubject(
        user="other",
        name="他人",
        tenant=YUNAN,
        roles=frozenset({"unit_officer"}),
        unit_id=str(uuid.uuid4()),
    )
    other_county = _officer(project, tenant=CHAOAN)
    for stranger in (other_unit, other_county):
        async with transaction(sessions, tenant_context_of(stranger)) as session:
            assert await repository.unread_count(session, stranger) == 0
            assert (await inbox.page(session, stranger, cursor=None, limit=20)).items == []

    async with transaction(sessions, tenant_context_of(officer)) as session:
        await inbox.mark_read(session, officer, item.id)
    async with transaction(sessions, tenant_context_of(officer)) as session:
        assert await repository.unread_count(session, officer) == 0


async def test_a_deadline_reminder_is_mailed_once_even_with_two_rounds(
    sessions: async_sessionmaker[AsyncSession], nats_url: str, mailbox: _Mailbox
) -> None:
    project = await _seed(sessions)
    officer = _officer(project, email="jingbanren@yunan.gov.test")
    async with transaction(sessions, tenant_context_of(officer)) as session:
        await inbox.record_recipient(session, officer)  # the officer opened the console once
    due = today_in_china() + timedelta(days=30)
    reminder = make_event(
        tenant=YUNAN,
        service="acceptance",
        aggregate="deadline",
        event="reminder",
        data={
            "tenant": YUNAN,
            "project_id": str(project.id),
            "submission": 1,
            "project_name": project.name,
            "deadline_id": str(uuid.uuid4()),
            "code": "acceptance_due",
            "due_on": due.isoformat(),
            "calendar_known": True,
            "article": "第二十三条",
            "as_of": today_in_china().isoformat(),
            "days_left": 30,
        },
        actor=system_actor("acceptance.deadlines", YUNAN),
    )
    await _delivered_twice(sessions, nats_url, reminder)

    channels = configured()
    assert list(channels) == ["email"]
    assert await deliver(sessions, channels, [YUNAN]) == 1
    assert await deliver(sessions, channels, [YUNAN]) == 0
    [mail] = mailbox.messages
    assert mail["To"] == "jingbanren@yunan.gov.test"
    assert project.name in str(mail["Subject"])
    body = mail.get_content()
    assert f"项目「{project.name}」的「验收期限」将于{due.isoformat()}到期，还有30天" in body


async def test_the_citys_receipt_reaches_the_reporting_countys_bureau_only(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    project = await _seed(sessions)
    receipt = make_event(
        tenant=YUNFU,
        service="approval",
        aggregate="report",
        event="received",
        data={
            "tenant": YUNFU,
            "project_id": str(project.id),
            "report_id": str(uuid.uuid4()),
            "from_tenant": YUNAN,
            "number": "郁政数〔2026〕12号",
        },
        actor=system_actor("approval", YUNFU),
    )
    async with transaction(sessions, TenantContext.own(YUNFU)) as session:
        await on_report_received(session, receipt)
    bureau = AuthSubject(user="b", name="局", tenant=YUNAN, roles=frozenset({"bureau_officer"}))
    city = AuthSubject(user="c", name="市", tenant=YUNFU, roles=frozenset({"overseer"}))
    async with transaction(sessions, tenant_context_of(bureau)) as session:
        [item] = (await inbox.page(session, bureau, cursor=None, limit=5)).items
    assert item.text == f"上级已收到项目「{project.name}」的批复结果报备（郁政数〔2026〕12号）。"
    async with transaction(sessions, tenant_context_of(city)) as session:
        assert await repository.unread_count(session, city) == 0

    # A receipt naming a county the city does not oversee is refused, nothing is filed.
    forged = make_event(
        tenant=YUNFU,
        service="approval",
        aggregate="report",
        event="received",
        data={**receipt.data, "from_tenant": CHAOAN},
        actor=system_actor("approval", YUNFU),
    )
    with pytest.raises(Reject, match="不是"):
        async with transaction(sessions, TenantContext.own(YUNFU)) as session:
            await on_report_received(session, forged)


def test_every_event_the_message_centre_handles_reaches_its_consumer() -> None:
    # A subject left out would leave its people silently untold.
    assert handler_problems(CONSUMER.stream, list(CONSUMER.subjects), CONSUMER.handlers) == ([], [])
