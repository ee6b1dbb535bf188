"""The archive's project replica follows the registry's events; the newest version wins."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.errors import Problem
from libs.common.events import Event, Reject
from services.archive import events
from services.archive.models import Project
from services.archive.replica import require_project
from services.archive.tests.conftest import in_tenant


def _event(kind: str, tenant: str, **data: Any) -> Event:
    return Event(
        id=str(uuid.uuid4()),
        type=f"govproj.registry.project.{kind}.v1",
        source="govproj/registry",
        subject=f"govproj.{tenant}.registry.project.{kind}",
        tenant=tenant,
        time=datetime.now(UTC),
        actor={"type": "user", "id": "u", "tenant": tenant, "roles": []},
        data={"tenant": tenant, **data},
    )


async def _apply(sessions: async_sessionmaker[AsyncSession], event: Event) -> None:
    async with in_tenant(sessions, event.tenant) as session:
        await events.HANDLERS[event.type](session, event)


async def test_project_events_fill_the_replica_and_an_older_event_changes_nothing(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    project, unit, moved = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    base = {"project_id": str(project), "name": "郁南县智慧教育平台", "state": "draft"}
    await _apply(sessions, _event("created", "445322", **base, unit_id=str(unit), version=1))
    await _apply(
        sessions,
        _event(
            "updated", "445322", **{**base, "state": "submitted"}, unit_id=str(moved), version=3
        ),
    )
    await _apply(sessions, _event("state_changed", "445322", **base, unit_id=str(unit), version=2))
    async with in_tenant(sessions) as session:
        row = await session.get(Project, project)
        assert row is not None
        assert (row.unit_id, row.state, row.version) == (moved, "submitted", 3)
        assert (await require_project(session, project, access=None, tenant="445322")).id == project
    # Another county never files under it, and a payload naming it from another
    # tenant is rejected (dead-lettered by the runner), changing nothing.
    with pytest.raises(Reject, match="属于其他辖区"):
        await _apply(sessions, _event("updated", "440804", **base, unit_id=str(unit), version=9))
    async with in_tenant(sessions, "440804") as session:
        with pytest.raises(Problem) as refused:
            await require_project(session, project, access=None, tenant="440804")
        assert refused.value.status == 404
    async with in_tenant(sessions) as session:
        row = await session.get(Project, project)
        assert row is not None and row.version == 3
