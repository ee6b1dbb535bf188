"""The finance consumer on real NATS and PostgreSQL: a rejected answer is dead-lettered, nothing else.

The handler raises ``Reject`` (or a domain error); the consumer runner writes the
dead letter and the inbox row in the batch's transaction and rolls the
handler's effect back. This replaces the service's own dead-letter insert.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import nats
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.db import TenantContext, create_engine, create_sessionmaker, transaction
from libs.common.events import ConsumerRunner, Event, ensure_streams, make_event, to_nats
from libs.common.testing.database import migrated_database
from libs.common.testing.pytest_plugin import DatabaseUrls
from services.budget import events
from services.budget.models import BudgetProject, FinanceReview
from services.budget.tests.factories import YUNAN

# A database of its own: the runner commits, which the rolled-back session of the
# other tests must never see.
consumer_db = migrated_database("budget")


@pytest.fixture
async def sessions(consumer_db: DatabaseUrls) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(consumer_db.app, pool_size=2)
    yield create_sessionmaker(engine)
    await engine.dispose()


def answer(review: FinanceReview, **change: Any) -> Event:
    """The finance system's answer, as docs/asyncapi.yaml describes it."""
    data = {
        "tenant": YUNAN,
        "review_id": str(review.id),
        "project_id": str(review.project_id),
        "submission": 1,
        "step_id": review.step_id,
        "outcome": "approve",
        "approved_amount": 570_000,
        "opinion": "经审核，同意安排资金570000元。",
        "funding_by_year": [{"year": 2026, "amount": 570_000}],
        "answered_by": "县财政局",
        "answered_on": "2026-12-01",
        **change,
    }
    base = make_event(
        tenant=YUNAN,
        service="budget",
        aggregate="review",
        event="answered",
        data=data,
        actor={"type": "external", "id": f"finance-system@{YUNAN}", "tenant": YUNAN, "roles": []},
    )
    return Event(
        id=base.id,
        type="finance.budget.review.answered.v1",
        source=f"/finance/{YUNAN}",
        subject=f"finance.{YUNAN}.review.answered",
        tenant=YUNAN,
        time=base.time,
        actor=base.actor,
        data=data,
    )


async def publish(nats_url: str, *sent: Event) -> None:
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        await ensure_streams(js)
        for event in sent:
            subject, headers, payload = to_nats(event)
            await js.publish(subject, payload, headers=headers)
    finally:
        await nc.drain()


async def until(check: Callable[[], bool], seconds: float = 20) -> None:
    for _ in range(int(seconds * 20)):
        if check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the consumer did not get there in time")


async def test_a_rejected_finance_answer_is_dead_lettered_with_its_reason_and_changes_nothing(
    consumer_db: DatabaseUrls, sessions: async_sessionmaker[AsyncSession], nats_url: str
) -> None:
    now = datetime.now(UTC)
    async with transaction(sessions, TenantContext.own(YUNAN)) as session:
        project = BudgetProject(
            id=uuid.uuid4(),
            tenant_id=YUNAN,
            submission=1,
            status="under_review",
            route="approval",
            amount=800_000,
            decision={},
            facts={},
            updated_at=now,
        )
        review = FinanceReview(
            id=uuid.uuid4(),
            tenant_id=YUNAN,
            project_id=project.id,
            submission=1,
            workflow_id=str(uuid.uuid4()),
            step_id=str(uuid.uuid4()),
            requested_amount=760_000,
            status="requested",
            requested_at=now,
        )
        session.add_all([project, review])
    await publish(nats_url)  # the streams exist before the consumer binds
    durable = f"budget_finance_{uuid.uuid4().hex[:8]}"
    runner = ConsumerRunner(
        sessions,
        nats_url,
        schema="budget",
        durable=durable,
        stream="FINANCE",
        filter_subjects=[f"finance.{YUNAN}.review.answered"],
        handlers=events.FINANCE_HANDLERS,
        backoff=(0.1,),
    )
    task = asyncio.create_task(runner.run())
    try:
        await publish(
            nats_url,
            answer(review, approved_amount=760_001),  # more than was asked
            answer(review, approved_amount=1.5),  # breaks the schema
        )
        await until(lambda: runner.stats.dead_lettered == 2)

        async def state() -> tuple[str, int | None, int, list[str]]:
            async with transaction(sessions, TenantContext.own(YUNAN)) as s:
                r = await s.get(FinanceReview, review.id)
                p = await s.get(BudgetProject, project.id)
                completed = await s.scalar(
                    sa.text(
                        "SELECT count(*) FROM budget.outbox "
                        "WHERE type = 'govproj.budget.finance_review.completed.v1'"
                    )
                )
                reasons = (
                    await s.scalars(
                        sa.text(
                            "SELECT reason FROM budget.dead_letter WHERE consumer = :c "
                            "ORDER BY received_at"
                        ),
                        {"c": durable},
                    )
                ).all()
            assert r is not None and p is not None
            return r.status, p.approved_amount, int(completed or 0), list(reasons)

        status, approved, completed, reasons = await state()
        assert (status, approved, completed) == ("requested", None, 0)
        assert any("exceeds the requested 760000" in r for r in reasons), reasons
        assert any("contract: approved_amount" in r for r in reasons), reasons
        assert runner.stats.retried == 0  # rejected at once, never retried

        await publish(nats_url, answer(review))
        await until(lambda: runner.stats.applied == 1)
        status, approved, completed, reasons = await state()
        assert (status, approved, completed, len(reasons)) == ("answered", 570_000, 1, 2)
    finally:
        runner.stop()
        await asyncio.wait_for(task, timeout=10)
