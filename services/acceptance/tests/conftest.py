"""Service-level fixtures: a migrated acceptance database and the events that feed it."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from datetime import date
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.db import TenantContext, create_engine, create_sessionmaker, transaction
from libs.common.db.migrations import upgrade
from libs.common.events import Event, make_event, system_actor
from libs.common.testing.pytest_plugin import DatabaseUrls, make_database
from services.acceptance import records
from services.acceptance.tests.decisions import decide

LAIZHOU = "370683"


@pytest.fixture(scope="session")
def acceptance_db(postgres_admin_url: str) -> DatabaseUrls:
    urls = make_database(postgres_admin_url)
    upgrade("acceptance", urls.owner)
    return urls


@pytest.fixture(scope="session")
async def sessions(
    acceptance_db: DatabaseUrls,
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(acceptance_db.app, pool_size=4)
    yield create_sessionmaker(engine)
    await engine.dispose()


def in_tenant(
    sessions: async_sessionmaker[AsyncSession], tenant: str = LAIZHOU
) -> AbstractAsyncContextManager[AsyncSession]:
    return transaction(sessions, TenantContext.own(tenant))


def event(tenant: str, service: str, aggregate: str, kind: str, /, **data: Any) -> Event:
    return make_event(
        tenant=tenant,
        service=service,
        aggregate=aggregate,
        event=kind,
        data={"tenant": tenant, **data},
        actor=system_actor(f"{service}.test", tenant),
    )


async def laizhou_project(
    sessions: async_sessionmaker[AsyncSession],
    *,
    amount: int = 6_000_000,
    signed_on: date = date(2023, 10, 9),
) -> uuid.UUID:
    """A Laizhou project as the events make it: decided, approved, implementing since signed_on."""
    pid = uuid.uuid4()
    decision = decide(LAIZHOU, amount=amount, category="governance")
    feed = [
        event(
            LAIZHOU,
            "approval",
            "project",
            "decided",
            project_id=str(pid),
            submission=1,
            route="approval",
            decision_id=str(uuid.uuid4()),
            decision=decision,
            facts={"amount": amount},
        ),
        event(
            LAIZHOU,
            "approval",
            "project",
            "approved",
            project_id=str(pid),
            submission=1,
            route="approval",
            approval={"number": "莱政数立〔2023〕1号", "approved_on": "2023-07-01"},
        ),
        event(
            LAIZHOU,
            "budget",
            "project",
            "contracted",
            project_id=str(pid),
            submission=1,
            signed_on=signed_on.isoformat(),
        ),
        event(
            LAIZHOU,
            "registry",
            "project",
            "state_changed",
            project_id=str(pid),
            unit_id="u1",
            name="莱州测试项目",
            amount=amount,
            state="implementing",
            version=9,
            trigger="govproj.budget.project.contracted.v1",
        ),
    ]
    handlers = {
        "decided": records.on_decided,
        "approved": records.on_reviewed,
        "contracted": records.on_contracted,
        "state_changed": records.on_state_changed,
    }
    async with in_tenant(sessions) as session:
        for ev in feed:
            await handlers[ev.type.split(".")[3]](session, ev)
    return pid
