"""acceptance's consumer on real PostgreSQL and NATS: a wrong event is dead-lettered, not lost.

Each test uses its own tenant codes and durable consumer (the run shares one
JetStream server and its GOVPROJ stream).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
import uuid
from collections.abc import AsyncIterator
from typing import Any

import nats
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.events import ConsumerRunner, ensure_streams, to_nats
from services.acceptance import events
from services.acceptance.tests.support.decisions import decide
from services.acceptance.tests.support.feed import LAIZHOU, event

# Codes no real tenant and no other test of this run uses.
_codes = itertools.count(random.randrange(910_000, 990_000, 100))  # noqa: S311


@pytest.fixture
async def js(nats_url: str) -> AsyncIterator[Any]:
    client = await nats.connect(nats_url)
    stream = client.jetstream()
    await ensure_streams(stream)
    yield stream
    await client.close()


@contextlib.asynccontextmanager
async def consuming(
    committed: async_sessionmaker[AsyncSession], nats_url: str, tenant: str
) -> AsyncIterator[ConsumerRunner]:
    runner = ConsumerRunner(
        committed,
        nats_url,
        schema="acceptance",
        durable=f"acceptance-test-{uuid.uuid4().hex[:8]}",
        stream="GOVPROJ",
        filter_subjects=[f"govproj.{tenant}.>"],
        handlers=events.HANDLERS,
        backoff=(0.05,),
        idle_timeout=0.2,
    )
    task = asyncio.create_task(runner.run())
    try:
        yield runner
    finally:
        runner.stop()
        await asyncio.wait_for(task, timeout=10)


async def _scalar(committed: async_sessionmaker[AsyncSession], sql: str, **params: Any) -> Any:
    # The test reads as the app role without a tenant: only dead_letter (no RLS) answers.
    async with committed() as session:
        return await session.scalar(sa.text(sql), params)


async def test_a_rejected_event_is_dead_lettered_with_its_reason_and_changes_nothing(
    committed: async_sessionmaker[AsyncSession], js: Any, nats_url: str
) -> None:
    tenant = f"{next(_codes):06d}"
    good, bad = uuid.uuid4(), "PRJ-not-a-uuid"
    decided = {
        "submission": 1,
        "route": "approval",
        "decision_id": str(uuid.uuid4()),
        "provisional": False,
        "policy": {"id": "370683-laizhou/2022-09-29", "sha256": "0" * 64},
        "decision": decide(LAIZHOU, amount=800_000),
        "facts": {"amount": 800_000},
    }
    for ev in (
        event(tenant, "approval", "project", "decided", project_id=bad, **decided),
        event(tenant, "approval", "project", "decided", project_id=str(good), **decided),
    ):
        subject, headers, payload = to_nats(ev)
        await js.publish(subject, payload, headers=headers)
    async with consuming(committed, nats_url, tenant) as runner:
        for _ in range(200):
            if runner.stats.rejected and runner.stats.applied:
                break
            await asyncio.sleep(0.05)
    assert (runner.stats.rejected, runner.stats.applied) == (1, 1)
    reason = await _scalar(
        committed,
        "SELECT reason FROM acceptance.dead_letter WHERE subject LIKE :s",
        s=f"govproj.{tenant}.%",
    )
    # The contract refuses the id before any handler sees it (libs/contracts).
    assert reason.startswith("rejected: contract: project_id"), reason
    async with committed() as session, session.begin():
        await session.execute(
            sa.text(
                "SELECT set_config('app.tenant_id', :t, true), "
                "set_config('app.visible_tenants', :t, true)"
            ),
            {"t": tenant},
        )
        projects = (await session.execute(sa.text("SELECT id FROM acceptance.projects"))).all()
        inbox = await session.scalar(sa.text("SELECT count(*) FROM acceptance.inbox"))
    # The good event made its project; the rejected one nothing but its inbox row (never redone).
    assert [r[0] for r in projects] == [good]
    assert inbox == 2
