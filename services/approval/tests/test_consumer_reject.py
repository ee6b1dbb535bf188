"""A finance answer the approval service cannot use is dead-lettered with its reason and
changes nothing: real PostgreSQL (committed, its own database) and real JetStream."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import nats
import sqlalchemy as sa

from libs.common.db import TenantContext, create_engine, create_sessionmaker, transaction
from libs.common.events import ConsumerRunner, ensure_streams, make_event, system_actor, to_nats
from libs.common.testing.consumers import run_until
from libs.common.testing.database import migrated_database
from libs.common.testing.pytest_plugin import DatabaseUrls
from services.approval import events
from services.approval.models import Opinion, Step
from services.approval.tests.support import (
    PUBLIC,
    YUNAN,
    approve_all,
    decided,
    seed_tenants,
    submission,
)

consumer_db = migrated_database("approval")


def _finance_answer(**data: Any) -> tuple[str, dict[str, str], bytes]:
    return to_nats(
        make_event(
            tenant=YUNAN,
            service="budget",
            aggregate="finance_review",
            event="completed",
            data={"tenant": YUNAN, **data},
            actor=system_actor("budget.finance", YUNAN),
        )
    )


async def _dead_letters(admin: str) -> list[str]:
    conn = await asyncpg.connect(admin)
    try:
        rows = await conn.fetch("SELECT reason FROM approval.dead_letter ORDER BY reason")
    finally:
        await conn.close()
    return [r["reason"] for r in rows]


async def test_an_unusable_finance_answer_is_dead_lettered_and_the_step_stays_open(
    consumer_db: DatabaseUrls, nats_url: str
) -> None:
    engine = create_engine(consumer_db.app, pool_size=2)
    maker = create_sessionmaker(engine)
    async with transaction(maker, TenantContext.own(YUNAN)) as session:
        await seed_tenants(session)
        wf = await approve_all(
            session, await decided(session, submission(YUNAN, PUBLIC)), until="finance_review"
        )
        finance = (
            await session.scalars(
                sa.select(Step).where(Step.workflow_id == wf.id, Step.code == "finance_review")
            )
        ).one()
        expert = (
            await session.scalars(
                sa.select(Step).where(Step.workflow_id == wf.id, Step.code == "expert_review")
            )
        ).one()
    assert finance.state == "open"
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await ensure_streams(js)
    # Complete answers (their contract holds) but for the one defect each carries:
    # the contract refuses an unknown outcome and a missing step; the handler
    # refuses a well-formed answer that names another kind of step.
    whole = {
        "project_id": str(wf.project_id),
        "submission": 1,
        "approved_amount": 700_000,
        "opinion": "同意",
        "funding_by_year": [{"year": 2027, "amount": 700_000}],
        "answered_by": "县财政局",
    }
    for answer in (
        _finance_answer(**whole, step_id=str(finance.id), outcome="maybe"),
        _finance_answer(**whole, step_id=str(expert.id), outcome="approve"),
        _finance_answer(**whole, outcome="approve"),
    ):
        subject, headers, payload = answer
        await js.publish(subject, payload, headers=headers)
    await nc.close()
    runner = ConsumerRunner(
        maker,
        nats_url,
        schema="approval",
        durable=f"approval_reject_{uuid.uuid4().hex[:8]}",
        stream="GOVPROJ",
        filter_subjects=[f"govproj.{YUNAN}.budget.finance_review.>"],
        handlers=events.HANDLERS,
        backoff=[0.1],
        ack_wait=5.0,
        idle_timeout=0.5,
    )

    async def three_dead() -> bool:
        return len(await _dead_letters(consumer_db.admin)) >= 3

    await run_until(runner, three_dead, stop_timeout=15)
    reasons = await _dead_letters(consumer_db.admin)
    assert len(reasons) == 3 and runner.stats.rejected == 3, reasons
    assert any(r.startswith("rejected: contract: outcome") for r in reasons), reasons
    assert any(f"step_id: {expert.id} 不是本辖区的资金审核环节" in r for r in reasons), reasons
    assert any(r.startswith("rejected: contract: step_id") for r in reasons), reasons
    async with transaction(maker, TenantContext.own(YUNAN)) as session:
        step = await session.get(Step, finance.id)
        assert step is not None and step.state == "open"
        decided_on_it = await session.scalar(
            sa.select(sa.func.count()).select_from(Opinion).where(Opinion.step_id == finance.id)
        )
        assert decided_on_it == 0
    await engine.dispose()
