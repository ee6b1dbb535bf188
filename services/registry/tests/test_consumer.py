"""The registry's consumer on real NATS and PostgreSQL: bad events are dead-lettered, nothing moves.

Unlike the other tests here, the runner commits: this module has its own database.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import nats
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from govproj.dev.demo import DEMO_TENANTS
from libs.common.db import TenantContext, create_engine, create_sessionmaker, transaction
from libs.common.events import (
    ConsumerRunner,
    OutboxRelay,
    ensure_streams,
    make_event,
    system_actor,
    to_nats,
)
from libs.common.testing.consumers import run_until
from libs.common.testing.database import migrated_database
from libs.common.testing.pytest_plugin import DatabaseUrls
from services.registry import events
from services.registry.models import Project, ProjectHistory, dead_letter, tenants
from services.registry.projects import service as projects
from services.registry.tenants import service as tenant_service
from services.registry.tests.support import (
    CHAOAN,
    XIANGQIAO,
    YUNAN,
    actor,
    policies,
    project_body,
)
from services.registry.units import service as units

consumer_db = migrated_database("registry")


@pytest.fixture
async def sessions(consumer_db: DatabaseUrls) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(consumer_db.app, pool_size=4)
    yield create_sessionmaker(engine)
    await engine.dispose()


async def _seed(sessions: async_sessionmaker[AsyncSession]) -> tuple[uuid.UUID, str]:
    """The demo tree, a draft project in 郁南, and a county the registry creates itself."""
    async with transaction(sessions, None) as session:
        if not await session.scalar(sa.select(sa.func.count()).select_from(tenants)):
            now = datetime.now(UTC)
            await session.execute(
                sa.insert(tenants),
                [
                    {
                        "code": c,
                        "name": n,
                        "level": lv,
                        "parent_code": p,
                        "version": 1,
                        "updated_at": now,
                    }
                    for c, n, lv, p in DEMO_TENANTS
                ],
            )
    async with transaction(sessions, TenantContext.own(YUNAN)) as session:
        unit = await units.create_unit(
            session,
            tenant=YUNAN,
            name=f"单位{uuid.uuid4().hex[:6]}",
            credit_code=None,
            actor=actor(),
        )
        project = await projects.create_project(
            session, policies=policies(), tenant=YUNAN, body=project_body(unit.id), actor=actor()
        )
    code = f"4453{uuid.uuid4().int % 90 + 10:02d}"
    async with transaction(sessions, None) as session:
        await tenant_service.create_tenant(
            session, code=code, name="新县", level="county", parent_code="445300", actor=actor()
        )
    return project.id, code


async def _dead_letters(
    sessions: async_sessionmaker[AsyncSession], ids: list[str]
) -> dict[str, str]:
    async with transaction(sessions, None) as session:
        rows = await session.execute(
            sa.select(dead_letter.c.headers["ce-id"].astext, dead_letter.c.reason).where(
                dead_letter.c.headers["ce-id"].astext.in_(ids)
            )
        )
        return {i: reason for i, reason in rows.all()}


async def test_rejected_events_are_dead_lettered_and_change_nothing(
    sessions: async_sessionmaker[AsyncSession], consumer_db: DatabaseUrls, nats_url: str
) -> None:
    project_id, new_county = await _seed(sessions)
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await ensure_streams(js)
    # The registry's own events go out through its relay, as in production.
    relay_engine = create_engine(consumer_db.relay, pool_size=1)
    relay = OutboxRelay(create_sessionmaker(relay_engine), js, schema="registry")
    await relay.relay_once()
    await relay_engine.dispose()

    # A decision for a draft (never submitted), and the forged move of 潮安 under 湘桥.
    decision = make_event(
        tenant=YUNAN,
        service="approval",
        aggregate="project",
        event="decided",
        # A well-formed decision (its contract holds), for a project never submitted.
        data={
            "tenant": YUNAN,
            "project_id": str(project_id),
            "route": "approval",
            "submission": 1,
            "decision_id": str(uuid.uuid4()),
            "provisional": False,
            "policy": {"id": "445322-yunan/2024-08-17", "sha256": "0" * 64},
            "decision": {},
            "facts": {},
        },
        actor=system_actor("approval", YUNAN),
    )
    forged = make_event(
        tenant=CHAOAN,
        service="registry",
        aggregate="tenant",
        event="updated",
        data={
            "tenant": CHAOAN,
            "code": CHAOAN,
            "name": "潮安区",
            "level": "county",
            "parent_code": XIANGQIAO,
            "version": 2,
            "updated_at": datetime.now(UTC).isoformat(),
        },
        actor=system_actor("forger", CHAOAN),
    )
    for event in (decision, forged):
        subject, headers, payload = to_nats(event)
        await js.publish(subject, payload, headers=headers)

    durable = f"registry-test-{uuid.uuid4().hex[:8]}"
    runner = ConsumerRunner(
        sessions,
        nats_url,
        schema="registry",
        durable=durable,
        stream="GOVPROJ",
        filter_subjects=[
            f"govproj.{YUNAN}.approval.project.>",
            f"govproj.{CHAOAN}.registry.tenant.>",
            f"govproj.{new_county}.registry.tenant.>",
        ],
        handlers=events.HANDLERS,
        max_deliver=1,
    )

    async def both_handled() -> bool:
        dead = await _dead_letters(sessions, [decision.id, forged.id])
        return len(dead) == 2 and runner.stats.applied >= 1

    try:
        await run_until(runner, both_handled, seconds=20)
    finally:
        await nc.close()
    dead = await _dead_letters(sessions, [decision.id, forged.id])
    assert "只申报了 0 次" in dead[decision.id]
    assert "未发布" in dead[forged.id]
    assert dead[decision.id].startswith("rejected: ")
    # The registry's own tenant.created came back and was accepted, not dead-lettered.
    assert runner.stats.applied >= 1 and runner.stats.rejected >= 2
    async with transaction(sessions, TenantContext.own(YUNAN)) as session:
        project = await session.get(Project, project_id)
        assert project is not None and (project.state, project.version) == ("draft", 1)
        steps = await session.scalar(
            sa.select(sa.func.count())
            .select_from(ProjectHistory)
            .where(ProjectHistory.project_id == project_id)
        )
        assert steps == 1
    async with transaction(sessions, None) as session:
        parent = await session.scalar(
            sa.select(tenants.c.parent_code).where(tenants.c.code == CHAOAN)
        )
        assert parent == "445100"
