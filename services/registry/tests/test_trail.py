"""The auditor's trail keeps an event once for every project it names, redelivered or not."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.events import make_event, system_actor
from libs.common.testing.database import in_tenant
from services.registry.tests.support import YUNAN, Caller, make_project, make_unit
from services.registry.trail.handlers import on_trail_event


async def test_an_event_naming_two_projects_shows_once_on_each_trail(
    api: httpx.AsyncClient, caller: Caller, tree_db: AsyncSession
) -> None:
    unit = await make_unit(tree_db, YUNAN)
    first, second = await make_project(tree_db, unit), await make_project(tree_db, unit)
    arranged = make_event(
        tenant=YUNAN,
        service="budget",
        aggregate="arrangement",
        event="made",
        data={
            "project_id": str(first.id),
            "items": [{"project_id": str(first.id)}, {"project_id": str(second.id)}],
        },
        actor=system_actor("budget.test", YUNAN),
    )
    await in_tenant(tree_db, YUNAN)
    for _ in range(2):  # a redelivery adds nothing
        await on_trail_event(tree_db, arranged)
    await tree_db.flush()
    auditor = caller.headers(YUNAN, "auditor")
    for project in (first, second):
        trail = await api.get(f"/v1/projects/{project.id}/trail", headers=auditor)
        assert trail.status_code == 200, trail.text
        ids = [item["event_id"] for item in trail.json()["items"]]
        assert ids.count(arranged.id) == 1
